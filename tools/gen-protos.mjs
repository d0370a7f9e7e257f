#!/usr/bin/env node
// Regenerates the typed gRPC bindings in api/controlplane/generated from
// proto/ with proto-loader-gen-types. The loader options here must match
// api/controlplane/loader.ts. `--check` regenerates into a temp dir and fails
// when the committed files differ (run by make test).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'api', 'controlplane', 'generated');
const check = process.argv.includes('--check');
const out = check ? mkdtempSync(join(tmpdir(), 'baton-gen-')) : target;

function generate(dir) {
  rmSync(dir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', '@grpc', 'proto-loader', 'build', 'bin', 'proto-loader-gen-types.js'),
      '--keepCase', '--longs=Number', '--enums=String', '--defaults', '--oneofs', '--grpcLib=@grpc/grpc-js',
      '--includeDirs', join(root, 'proto'), '--outDir', dir,
      'baton/v1/control.proto',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  // The generator writes extensionless relative imports; NodeNext ES modules need `.js`.
  for (const file of listFiles(dir)) {
    const path = join(dir, file);
    // The generator also writes the absolute proto path into a header comment; keep it repo-relative
    // so the output is the same in every checkout.
    const text = readFileSync(path, 'utf8')
      .replace(/from '(\.\.?\/[^']+)'/g, "from '$1.js'")
      .split(`${join(root, 'proto')}/`)
      .join('proto/');
    writeFileSync(path, text);
  }
}

function listFiles(dir, base = dir) {
  const files = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...listFiles(path, base));
    else files.push(relative(base, path));
  }
  return files.sort();
}

generate(out);
if (check) {
  const want = listFiles(out);
  const have = listFiles(target);
  const stale = want.filter((f) => !have.includes(f) || readFileSync(join(out, f), 'utf8') !== readFileSync(join(target, f), 'utf8'));
  const extra = have.filter((f) => !want.includes(f));
  rmSync(out, { recursive: true, force: true });
  if (stale.length || extra.length) {
    console.error(`gen-protos: api/controlplane/generated is stale (${[...stale, ...extra].join(', ')}); run: node tools/gen-protos.mjs`);
    process.exit(1);
  }
  console.log(`gen-protos: ${want.length} generated files are up to date`);
}
