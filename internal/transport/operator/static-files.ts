// The operator page's static files: found next to this module in the source
// tree (tests) or from the compiled dist/ tree, loaded once into memory and
// served by exact name only. A request can name nothing but a file listed at
// load time, so no path ever reaches the file system.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  readonly name: string;
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** Largest file served: the page is a few small files, so anything bigger is a mistake in the tree. */
const MAX_FILE_BYTES = 1024 * 1024;
const SAFE_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The static directory: `static/` beside this module when running from
 * source, or `internal/transport/operator/static/` above the compiled module
 * in dist/ (tsc copies no assets, so they stay in the source tree).
 */
export function locateStaticDir(moduleUrl: string = import.meta.url): string | undefined {
  const here = dirname(fileURLToPath(moduleUrl));
  const beside = join(here, 'static');
  if (existsSync(join(beside, 'index.html'))) return beside;
  let dir = here;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'internal', 'transport', 'operator', 'static');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** Loads every servable file of `dir` (flat, known extensions, safe names). */
export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const name of readdirSync(dir).sort()) {
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType || !SAFE_NAME.test(name)) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    if (!stat.isFile() || stat.size > MAX_FILE_BYTES) continue;
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(name, { name, body, contentType, etag });
  }
  return files;
}
