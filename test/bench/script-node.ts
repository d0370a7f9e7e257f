// Bench of the QuickJS script tier: scripted call overhead p50/p99 against a plain in-process function call in the same run, worker cold start, and the RSS plateau over many calls and tenants. Runs from dist/ (the tier's worker is the compiled worker.js).
import { QuickJSTier } from '../../internal/nodes/sandbox/quickjs/index.js';
import type { ScriptInvocation } from '../../internal/nodes/script-tier.js';
import { report, rssMiB, summarize } from './stats.js';

const SOURCE = 'export default function handle(input, ctx) { return input.text.toUpperCase() + ctx.turn.ordinal; }';

function invocation(tenant: string, text: string): ScriptInvocation {
  return {
    script: { tenant, entry: 'main', sources: new Map([['main', { hash: 'bench', source: SOURCE }]]) },
    input: { text, history: [] },
    ctx: { node_id: 'bench', config: {}, turn: { ordinal: 1, seed: '1' } },
    randomSeed: '1/bench',
    nowMs: 0,
    budgetMs: 1000,
    state: {},
    signal: new AbortController().signal,
    host: { emit: () => {}, log: () => {}, providerCall: async () => null },
  };
}

/** The same handler as a plain function: the baseline a scripted call is compared with. */
function plain(input: { text: string }, ctx: { turn: { ordinal: number } }): string {
  return input.text.toUpperCase() + ctx.turn.ordinal;
}

export async function runScriptNodeBench(calls = 2000): Promise<void> {
  const coldStart = performance.now();
  const tier = new QuickJSTier({ poolSize: 1, contextRuns: Number(process.env['BENCH_CONTEXT_RUNS'] ?? 1) });
  const first = await tier.invoke(invocation('bench', 'warm'));
  const coldMs = performance.now() - coldStart;
  if (!first.ok) throw new Error(`script bench: ${first.code} ${first.message}`);

  const scripted: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < calls; i++) {
    let t = performance.now();
    await tier.invoke(invocation('bench', `call ${i}`));
    scripted.push((performance.now() - t) * 1000);
    t = performance.now();
    await Promise.resolve(plain({ text: `call ${i}` }, { turn: { ordinal: 1 } }));
    baseline.push((performance.now() - t) * 1000);
  }
  const s = summarize(scripted);
  const b = summarize(baseline);
  report('script-node', { calls, p50_us: s.p50, p99_us: s.p99, plain_p50_us: b.p50, plain_p99_us: b.p99, overhead_p50_us: s.p50 - b.p50 });

  // The plateau: many calls over more tenants than a worker keeps, so engines are created and dropped throughout.
  const rss: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 400; i++) await tier.invoke(invocation(`tenant-${i % 12}`, `r${round}`));
    rss.push(rssMiB());
  }
  report('script-node-start', { cold_start_ms: coldMs, rss_mib_by_round: rss.map((r) => r.toFixed(0)).join('/') });
  await tier.close();
}
