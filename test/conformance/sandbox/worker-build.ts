// Test plumbing: the QuickJS worker must run as JavaScript, and vitest runs the tier from its TypeScript source, so this compiles the sandbox's files once into dist/ exactly where `tsc -p tsconfig.build.json` puts them. It never type-checks (tsc does) and never writes outside dist/.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const OUT = join(ROOT, 'dist/internal/nodes/sandbox/quickjs');
/** The worker's own files, and the registry files it imports to check the script rules again at load. */
const SOURCES: readonly { dir: string; files?: readonly string[] }[] = [
  { dir: 'internal/nodes/sandbox/quickjs' },
  { dir: 'internal/nodes/registry', files: ['analyze.ts', 'names.ts', 'problems.ts'] },
];

/** The URL of the compiled worker entry, (re)written from the current sources. */
export function quickjsWorkerUrl(): URL {
  for (const { dir, files } of SOURCES) {
    const out = join(ROOT, 'dist', dir);
    mkdirSync(out, { recursive: true });
    for (const file of files ?? readdirSync(join(ROOT, dir))) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const output = ts.transpileModule(readFileSync(join(ROOT, dir, file), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, isolatedModules: true },
        fileName: file,
      }).outputText;
      const target = join(out, file.replace(/\.ts$/, '.js'));
      // Test files run in parallel processes: a rename is atomic, so no worker ever loads half a file.
      const temp = `${target}.${process.pid}.tmp`;
      writeFileSync(temp, output);
      renameSync(temp, target);
    }
  }
  return pathToFileURL(join(OUT, 'worker.js'));
}
