#!/usr/bin/env node
// Baton's command line: `baton serve` runs a kernel on its embedded defaults
// or a config; other subcommands drive a running kernel. Exit codes: 0 ok,
// 1 runtime failure, 2 bad usage or configuration.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError, configHelp, loadConfig } from '../internal/config/config.js';
import { Kernel } from '../internal/kernel/kernel.js';
import { runDemo } from './demo.js';
import { runMediaStreamsDemo } from './demo-media-streams.js';
import { runScripts } from './scripts.js';

/** Where `serve` leaves a generated dev key for `baton demo` on the same machine (owner-only). */
const DEV_KEY_FILE = '.baton/dev-key';

const USAGE = `usage: baton <command> [options]

commands:
  serve     run a kernel (embedded defaults: memory authority, demo pipeline)
  demo      run a simulated gateway against a running kernel and print the timeline
            [--http HOST:PORT] [--key KEY]; defaults: BATON_HTTP_PORT on 127.0.0.1,
            BATON_DEV_KEY or the key a local \`baton serve\` generated;
            --media-streams: a Twilio-style telephony gateway on /v1/media-streams
            instead of the native protocol [--pipeline NAME] (default demo)
  scripts   extract DIR [--tenant NAME]: write the embedded default scripts under
            DIR/<tenant>/ in the scripts_dir layout (default tenant dev); existing
            files are kept and listed
  help      show this text and the serve options

serve options (flag > env > file > default):
${configHelp()}`;

async function serve(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let loaded;
  try {
    loaded = loadConfig({ argv, env: process.env, cwd: process.cwd() });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`baton: invalid configuration:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 2;
    }
    throw err;
  }
  const kernel = new Kernel(loaded.config);
  if (loaded.generatedDevKey) {
    process.stdout.write(`baton dev key ${loaded.config.dev_key} (set BATON_DEV_KEY to choose it)\n`);
    mkdirSync(dirname(DEV_KEY_FILE), { recursive: true });
    writeFileSync(DEV_KEY_FILE, `${loaded.config.dev_key}\n`, { mode: 0o600 });
    chmodSync(DEV_KEY_FILE, 0o600);
  }
  // Handlers go in before the ready line: a supervisor may signal as soon as it reads it.
  let stopping = false;
  let finish: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => {
    finish = resolve;
  });
  const stop = (signal: string): void => {
    if (stopping) {
      kernel.logger.warn({ signal }, 'second signal: exiting now');
      finish(1);
      return;
    }
    stopping = true;
    kernel.logger.info({ signal }, 'drain requested');
    // The drain is bounded by drain_grace_ms; the extra second covers closing the servers themselves.
    const hardStop = setTimeout(() => finish(1), loaded.config.drain_grace_ms + 1000);
    hardStop.unref();
    kernel.drain().then(
      () => finish(0),
      (err: unknown) => {
        kernel.logger.error({ err }, 'drain failed');
        finish(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await kernel.start();
  if (!stopping) process.stdout.write(`baton ready http=${kernel.httpAddress} grpc=${kernel.grpcAddress}\n`);
  return exited;
}

async function demo(argv: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const http = flag('--http') ?? `127.0.0.1:${process.env['BATON_HTTP_PORT'] ?? '8080'}`;
  const key = flag('--key') ?? process.env['BATON_DEV_KEY'] ?? (existsSync(DEV_KEY_FILE) ? readFileSync(DEV_KEY_FILE, 'utf8').trim() : undefined);
  if (!key) {
    process.stderr.write('baton demo: no key: set BATON_DEV_KEY (the key `make run` printed) or pass --key\n');
    return 2;
  }
  const out = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  try {
    if (argv.includes('--media-streams')) await runMediaStreamsDemo({ http, key, out, pipeline: flag('--pipeline') ?? 'demo' });
    else await runDemo({ http, key, out });
    return 0;
  } catch (err) {
    process.stderr.write(`baton demo: ${(err as Error).message} (is \`make run\` serving on ${http}?)\n`);
    return 1;
  }
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'demo':
      return demo(rest);
    case 'scripts':
      return runScripts(
        rest,
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`${line}\n`),
      );
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`baton: unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`baton: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}\n`);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`baton: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
