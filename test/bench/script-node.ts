// Bench of the QuickJS script tier: scripted call overhead p50/p99 (reused frozen context, and a fresh context per call for comparison) against a plain in-process function call in the same run, worker cold start, and the RSS plateau over many calls and tenants. Runs from dist/ (the tier's worker is the compiled worker.js).
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

/** p50/p99 of `calls` scripted calls on a warm tier, each against a plain call in the same loop. */
async function measure(tier: QuickJSTier, calls: number): Promise<{ scripted: number[]; baseline: number[] }> {
  const scripted: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < calls; i++) {
    let t = performance.now();
    const result = await tier.invoke(invocation('bench', `call ${i}`));
    scripted.push((performance.now() - t) * 1000);
    if (!result.ok) throw new Error(`script bench: ${result.code} ${result.message}`);
    t = performance.now();
    await Promise.resolve(plain({ text: `call ${i}` }, { turn: { ordinal: 1 } }));
    baseline.push((performance.now() - t) * 1000);
  }
  return { scripted, baseline };
}

export async function runScriptNodeBench(calls = 2000): Promise<void> {
  // The price of a fresh context per call (what every call paid before contexts were frozen and reused), for comparison.
  const freshTier = new QuickJSTier({ poolSize: 1, contextRuns: 1 });
  await freshTier.invoke(invocation('bench', 'warm'));
  const fresh = summarize((await measure(freshTier, Math.min(calls, 200))).scripted);
  report('script-node-fresh-context', { calls: Math.min(calls, 200), p50_us: fresh.p50, p99_us: fresh.p99 });
  await freshTier.close();

  const coldStart = performance.now();
  const envRuns = process.env['BENCH_CONTEXT_RUNS'];
  const tier = new QuickJSTier({ poolSize: 1, ...(envRuns ? { contextRuns: Number(envRuns) } : {}) });
  const first = await tier.invoke(invocation('bench', 'warm'));
  const coldMs = performance.now() - coldStart;
  if (!first.ok) throw new Error(`script bench: ${first.code} ${first.message}`);

  const { scripted, baseline } = await measure(tier, calls);
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
