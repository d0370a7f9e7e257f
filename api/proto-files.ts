// Locates proto/ in the source tree or next to the compiled dist/ tree, so the
// same code runs from TypeScript (tests) and from compiled JavaScript (serve).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The directory that holds `baton/v1/*.proto`. */
export function protoDir(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'baton', 'v1', 'events.proto'))) {
      cached = candidate;
      return candidate;
    }
    dir = dirname(dir);
  }
  throw new Error('proto/baton/v1/events.proto not found above ' + fileURLToPath(import.meta.url));
}

export function protoFile(name: 'events' | 'control' | 'timeline'): string {
  return join(protoDir(), 'baton', 'v1', `${name}.proto`);
}
