// `baton scripts extract DIR [--tenant NAME]`: writes the embedded default
// scripts under DIR/<tenant>/ in the scripts_dir layout, keeping every file
// that exists. It only writes files; it never talks to a kernel.
import { resolve } from 'node:path';
import { DEV_TENANT, TENANT_NAME } from '../internal/config/values.js';
import { extractEmbedded } from '../internal/nodes/registry/extract.js';

export const SCRIPTS_USAGE = 'usage: baton scripts extract DIR [--tenant NAME] (default tenant dev)';

/** Runs `baton scripts ARGS`; answers the exit code (0 ok, 1 a write failed, 2 bad usage). */
export function runScripts(argv: readonly string[], out: (line: string) => void, err: (line: string) => void, cwd: string = process.cwd()): number {
  const [action, ...rest] = argv;
  if (action !== 'extract') {
    err(action === undefined ? SCRIPTS_USAGE : `baton scripts: unknown action ${JSON.stringify(action)}\n${SCRIPTS_USAGE}`);
    return 2;
  }
  let tenant = DEV_TENANT;
  const dirs: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--tenant' || arg.startsWith('--tenant=')) {
      const value = arg === '--tenant' ? rest[++i] : arg.slice('--tenant='.length);
      if (value === undefined || !TENANT_NAME.test(value)) {
        err(`baton scripts extract: --tenant needs a tenant name ([a-z0-9][a-z0-9_-]{0,62}), got ${JSON.stringify(value ?? '')}`);
        return 2;
      }
      tenant = value;
    } else if (arg.startsWith('-')) {
      err(`baton scripts extract: unknown option ${JSON.stringify(arg)}\n${SCRIPTS_USAGE}`);
      return 2;
    } else {
      dirs.push(arg);
    }
  }
  if (dirs.length !== 1) {
    err(SCRIPTS_USAGE);
    return 2;
  }
  const dir = resolve(cwd, dirs[0]!);
  try {
    const result = extractEmbedded(dir, tenant);
    for (const path of result.written) out(`wrote ${path}`);
    for (const path of result.kept) out(`kept ${path} (exists)`);
    return 0;
  } catch (e) {
    err(`baton scripts extract: ${(e as Error).message}`);
    return 1;
  }
}
