// `make bench`: runs every benchmark in one process and prints one line per
// figure (absolute numbers and ratios against same-run baselines).
import { runDecodeBench } from './decode.js';
import { runProposeGrpcBench } from './grpc-propose.js';
import { runCancelToFenceVirtualBench, runTurnOpenBench } from './kernel.js';
import { runScriptNodeBench } from './script-node.js';
import { runCancelToFenceRealBench } from './ws-load.js';

const only = process.argv[2];

async function main(): Promise<void> {
  const benches: [string, () => void | Promise<void>][] = [
    ['decode', runDecodeBench],
    ['turn-open', runTurnOpenBench],
    ['cancel-virtual', () => runCancelToFenceVirtualBench(500)],
    ['cancel-real', () => runCancelToFenceRealBench(Number(process.env['BENCH_SESSIONS'] ?? 500), 300)],
    ['script-node', () => runScriptNodeBench(Number(process.env['BENCH_SCRIPT_CALLS'] ?? 2000))],
    ['propose-grpc', () => runProposeGrpcBench(Number(process.env['BENCH_PROPOSALS'] ?? 2000), 200)],
  ];
  for (const [name, run] of benches) {
    if (only && only !== name) continue;
    await run();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
