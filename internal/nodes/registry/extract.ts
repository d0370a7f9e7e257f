// `baton scripts extract`: writes the embedded default scripts in the
// scripts_dir layout so an operator can start a scripts directory from them.
// It never overwrites a file: an existing one is kept and reported.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type EmbeddedScript, embeddedScripts, scriptPath } from './layout.js';

export interface ExtractResult {
  /** Paths relative to the target directory, `/`-separated, in the order written. */
  readonly written: readonly string[];
  /** Files that already existed and were left as they are. */
  readonly kept: readonly string[];
}

/** Writes every embedded script missing under `dir/<tenant>/`; `tenant` must be one path segment (the caller checks it is a tenant name). */
export function extractEmbedded(dir: string, tenant: string, scripts: readonly EmbeddedScript[] = embeddedScripts()): ExtractResult {
  if (tenant === '' || tenant === '.' || tenant === '..' || /[\\/]/.test(tenant)) throw new Error(`tenant ${JSON.stringify(tenant)} is not one path segment`);
  const written: string[] = [];
  const kept: string[] = [];
  for (const script of scripts) {
    const relative = `${tenant}/${scriptPath(script.name, script.kind)}`;
    const path = join(dir, relative);
    mkdirSync(dirname(path), { recursive: true });
    try {
      // `wx` fails on an existing file, so a file created meanwhile is kept too.
      writeFileSync(path, script.source, { flag: 'wx' });
      written.push(relative);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      kept.push(relative);
    }
  }
  return { written, kept };
}
