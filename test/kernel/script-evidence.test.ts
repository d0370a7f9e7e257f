// Script evidence on the timeline, through the whole kernel core on the real
// QuickJS worker tier: every script invocation's node_invocation record says
// ok, canceled or the DESIGN 11 code the run ended with; the frozen plan of
// each turn carries the sources it pins, each source once per timeline, so a
// replay needs no registry; ExportTimeline hands those sources out.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, test } from 'vitest';
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import { loadControlPlane } from '../../api/controlplane/loader.js';
import type { TimelineRecord__Output } from '../../api/controlplane/generated/baton/v1/TimelineRecord.js';
import type { TimelinesClient } from '../../api/controlplane/generated/baton/v1/Timelines.js';
import { ControlServer } from '../../internal/control/grpc-server.js';
import { timelinesService } from '../../internal/control/timelines-service.js';
import { type SimulatedGateway, SimulationKernel } from '../../internal/kernel/simulation.js';
import { embeddedScripts } from '../../internal/nodes/registry/layout.js';
import { ScriptRegistry } from '../../internal/nodes/registry/store.js';
import { QuickJSTier } from '../../internal/nodes/sandbox/quickjs/index.js';
import { createRootLogger } from '../../internal/observe/logger.js';
import { Metrics } from '../../internal/observe/metrics.js';
import { type NodeInvocation, type PlanFrozen, parseTimeline } from '../../internal/observe/timeline/index.js';
import type { PipelineSpec } from '../../internal/plan/types.js';
import { Tenants } from '../../internal/tenancy/tenants.js';
import { quickjsWorkerUrl } from '../conformance/sandbox/worker-build.js';

const tier = new QuickJSTier({ poolSize: 1, workerUrl: quickjsWorkerUrl() });
afterAll(() => tier.close());

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const SCRIPTS: Record<string, string> = {
  'evidence/upper': 'export default function handle(input) { return input.text.toUpperCase(); }\n',
  'evidence/throws': "export default function handle() { throw new Error('boom'); }\n",
  'evidence/spins': 'export default function handle() { for (;;) {} }\n',
  // Streams a delta first, so the test cancels a script it knows is running.
  'evidence/streams-then-spins': "import { emit } from 'baton:host';\nexport default function handle() { emit('Working on it. '); for (;;) {} }\n",
  'evidence/hoards': 'export default function handle() { const kept = []; for (;;) kept.push(new Array(4096).fill(kept.length)); }\n',
  // Catching the refusal does not help: the invocation is security_violation whatever the script does next.
  'evidence/trespasses':
    "import { call } from 'baton:provider';\nexport default async function handle() { try { await call('someone-elses', { text: 'x' }); } catch (e) {} return 'fine'; }\n",
};

/** upper (a script that succeeds) feeding `script`, then speech: each failure below follows an `ok`. */
function pipeline(name: string, script: string, budget_ms?: number): PipelineSpec {
  return {
    name,
    nodes: [
      { id: 'first', kind: 'custom', script: 'evidence/upper' },
      { id: 'second', kind: 'llm', script, ...(budget_ms !== undefined ? { budget_ms } : {}) },
      { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
    ],
    edges: [
      { from: 'first', to: 'second' },
      { from: 'second', to: 'tts' },
    ],
  };
}

const PIPELINES: PipelineSpec[] = [
  pipeline('ok', 'evidence/upper'),
  pipeline('throws', 'evidence/throws'),
  pipeline('over-budget', 'evidence/spins', 100),
  pipeline('canceled', 'evidence/streams-then-spins', 20_000),
  pipeline('over-memory', 'evidence/hoards'),
  pipeline('forbidden', 'evidence/trespasses'),
];

function registry(): ScriptRegistry {
  const scripts = new ScriptRegistry({}, { embedded: embeddedScripts() });
  for (const [name, source] of Object.entries(SCRIPTS)) {
    const put = scripts.put('dev', { name, kind: 'node', source });
    if (!put.ok) throw new Error(`${name}: ${JSON.stringify(put)}`);
  }
  return scripts;
}

function kernel(timeline?: { memoryRecords: number; dir: string }): SimulationKernel {
  return new SimulationKernel({ scriptTier: tier, scripts: registry(), pipelines: PIPELINES, ...(timeline ? { timeline } : {}) });
}

/** Waits in real time, moving the virtual clock along, until `done` holds: the worker answers in real time. */
async function until(sim: SimulationKernel, what: string, done: () => boolean, advanceMs = 20): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sim.advance(advanceMs);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const lastOpened = (s: SimulatedGateway): AnyEnvelope | undefined => s.out.findLast((e) => e.kind === 'turn.opened');
const closed = (s: SimulatedGateway, turn_id: string) => () => s.ofTurn(turn_id).some((e) => e.kind === 'turn.closed');

/** Proposes a text turn; answers playback when the turn produced audio, so a committed turn closes. */
async function turn(sim: SimulationKernel, s: SimulatedGateway, text: string): Promise<{ turn_id: string; events: AnyEnvelope[] }> {
  const before = s.out.length;
  s.send('turn.request', { text });
  const opened = s.out.slice(before).find((e) => e.kind === 'turn.opened');
  if (!opened) throw new Error(`no turn opened: ${s.out.slice(before).map((e) => e.kind).join(' ')}`);
  await until(sim, `${opened.turn_id} to end`, () => s.ofTurn(opened.turn_id).some((e) => e.kind === 'output.end' || e.kind === 'turn.closed'));
  const end = s.ofTurn(opened.turn_id).find((e) => e.kind === 'output.end');
  if (end) s.send('playback.completed', { played_ms: end.payload.generated_ms }, { turn_id: opened.turn_id });
  await until(sim, `${opened.turn_id} to close`, closed(s, opened.turn_id));
  return { turn_id: opened.turn_id, events: s.ofTurn(opened.turn_id) };
}

/** The script nodes' node_invocation records of the session's timeline, in order. */
function scriptInvocations(s: SimulatedGateway): (NodeInvocation & { turn_id: string })[] {
  return parseTimeline(s.timeline).flatMap((r) =>
    r.body.case === 'node_invocation' && r.body.value.node_kind.startsWith('evidence/') ? [{ ...r.body.value, turn_id: r.turn_id }] : [],
  );
}

function plansOf(records: ReturnType<typeof parseTimeline>): PlanFrozen[] {
  return records.flatMap((r) => (r.body.case === 'plan_frozen' ? [r.body.value] : []));
}

function abortReason(events: AnyEnvelope[]): string | undefined {
  const aborted = events.find((e) => e.kind === 'turn.aborted');
  return aborted?.kind === 'turn.aborted' ? aborted.payload.reason : undefined;
}

describe('script invocation outcomes in the timeline', () => {
  test('a script that returns records ok for every script node of the turn', async () => {
    const sim = kernel();
    const s = await sim.open('ok');
    const { turn_id, events } = await turn(sim, s, 'hello');
    expect(events.map((e) => e.kind)).toContain('turn.committed');
    expect(scriptInvocations(s).map((r) => [r.turn_id, r.node_id, r.node_kind, r.outcome])).toEqual([
      [turn_id, 'first', 'evidence/upper', 'ok'],
      [turn_id, 'second', 'evidence/upper', 'ok'],
    ]);
    // The recorded output is what the script returned, so replay can check it.
    expect(new TextDecoder().decode(scriptInvocations(s)[1]!.output)).toBe('HELLO');
  });

  // DESIGN 11.1: over budget is timeout and budget_exhausted; a throw, the memory cap or a forbidden capability is node_failure.
  test.each([
    { what: 'throws', pipeline: 'throws', outcome: 'execution', reason: 'node_failure' },
    { what: 'runs past its budget', pipeline: 'over-budget', outcome: 'timeout', reason: 'budget_exhausted' },
    { what: 'allocates past the memory cap', pipeline: 'over-memory', outcome: 'memory_limit', reason: 'node_failure' },
    { what: 'calls a provider binding its node does not name', pipeline: 'forbidden', outcome: 'security_violation', reason: 'node_failure' },
  ])('a script that $what records $outcome after the script before it recorded ok, and the turn ends $reason', async ({ pipeline: name, outcome, reason }) => {
    const sim = kernel();
    const s = await sim.open(name);
    const { turn_id, events } = await turn(sim, s, 'hello');
    expect(abortReason(events)).toBe(reason);
    expect(scriptInvocations(s).map((r) => [r.turn_id, r.node_id, r.outcome])).toEqual([
      [turn_id, 'first', 'ok'],
      [turn_id, 'second', outcome],
    ]);
  });

  test('a script cancelled while it runs records canceled, with the delta it streamed before the cancel', async () => {
    const sim = kernel();
    const s = await sim.open('canceled');
    s.send('turn.request', { text: 'hello' });
    const opened = lastOpened(s)!;
    const streamed = () => s.ofTurn(opened.turn_id).some((e) => e.kind === 'transcript' && e.payload.role === 'assistant');
    // The clock stays put: the script's budget is far off, only the cancel can end it.
    await until(sim, 'the script to stream its first delta', streamed, 0);
    s.send('cancel', { scope: 'turn', reason: 'test' }, { turn_id: opened.turn_id });
    await until(sim, `${opened.turn_id} to close`, closed(s, opened.turn_id));
    const records = scriptInvocations(s);
    expect(records.map((r) => [r.turn_id, r.node_id, r.outcome])).toEqual([
      [opened.turn_id, 'first', 'ok'],
      [opened.turn_id, 'second', 'canceled'],
    ]);
    expect(new TextDecoder().decode(records[1]!.output)).toBe('Working on it. ');
    // The worker was interrupted, not left spinning out its budget: the next script on the one-worker pool commits.
    const next = await turn(sim, await sim.open('ok'), 'again');
    expect(next.events.map((e) => e.kind)).toContain('turn.committed');
  });
});

describe('script sources in the timeline', () => {
  test('the first plan carries every pinned source verbatim, later turns refer to them by hash, a replaced script brings only its new source', async () => {
    const sim = kernel();
    const s = await sim.open('scripted');
    await turn(sim, s, 'my name is Ada');
    await turn(sim, s, 'what is my name');
    const v2 = "export default function handle(input) { return 'v2: ' + input.text; }\n";
    expect(sim.scripts.put('dev', { name: 'bot/rules', kind: 'node', source: v2 }).ok).toBe(true);
    await turn(sim, s, 'hello');

    const [first, second, third] = plansOf(parseTimeline(s.timeline));
    const pinned = JSON.parse(new TextDecoder().decode(first!.canonical_plan)).scripts as Record<string, string>;
    expect(Object.keys(pinned).length).toBeGreaterThanOrEqual(2);
    // Exactly the plan's scripts, sorted by name, each source the registry held under that name and hash.
    expect(first!.scripts!.map((p) => [p.name, p.sha256])).toEqual(Object.entries(pinned).sort(([a], [b]) => (a < b ? -1 : 1)));
    for (const p of first!.scripts!) {
      expect(sha256(p.source)).toBe(p.sha256);
      expect(p.source).toBe(embeddedScripts().find((e) => e.name === p.name)?.source);
    }
    expect(second!.scripts!.map((p) => [p.name, p.sha256, p.source])).toEqual(first!.scripts!.map((p) => [p.name, p.sha256, '']));
    const changed = third!.scripts!.filter((p) => p.source !== '');
    expect(changed).toEqual([{ name: 'bot/rules', sha256: sha256(v2), source: v2 }]);
  });

  test('every hash a plan of the session pins has its source in exactly one record, before or in the first plan naming it', async () => {
    const sim = kernel();
    const s = await sim.open('scripted');
    for (const text of ['one', 'two', 'three']) await turn(sim, s, text);
    const carried = new Map<string, number>();
    for (const plan of plansOf(parseTimeline(s.timeline))) {
      for (const p of plan.scripts ?? []) {
        if (p.source !== '') carried.set(p.sha256, (carried.get(p.sha256) ?? 0) + 1);
        expect(carried.has(p.sha256)).toBe(true);
      }
    }
    expect([...carried.values()].every((n) => n === 1)).toBe(true);
  });
});

describe('ExportTimeline carries the script sources', () => {
  test('an export of a session whose plans left the memory window for the file still has every pinned source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-evidence-'));
    const sim = kernel({ memoryRecords: 8, dir });
    const server = new ControlServer({
      tenants: new Tenants([{ name: 'dev', key: 'dev-tenant-key-0123456789' }]),
      handlers: { Timelines: timelinesService({ sessions: sim.sessions }) },
      metrics: new Metrics(),
      logger: createRootLogger({ level: 'silent' }),
      maxDeadlineMs: 10_000,
    });
    const TIMELINES = loadControlPlane().grpcObject.baton.v1.Timelines;
    const port = await server.bind('127.0.0.1', 0);
    server.setServing(true);
    const client = new TIMELINES(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as TimelinesClient;
    try {
      const s = await sim.open('scripted');
      await turn(sim, s, 'my name is Ada');
      await turn(sim, s, 'what is my name');
      const metadata = new grpc.Metadata();
      metadata.set('authorization', 'Bearer dev-tenant-key-0123456789');
      const records = await new Promise<TimelineRecord__Output[]>((resolve, reject) => {
        const got: TimelineRecord__Output[] = [];
        const call = client.ExportTimeline({ session_id: s.id }, metadata, { deadline: Date.now() + 20_000 });
        call.on('data', (r: TimelineRecord__Output) => got.push(r));
        call.on('error', reject);
        call.on('end', () => resolve(got));
      });
      const plans = records.flatMap((r) => (r.plan_frozen ? [r.plan_frozen] : []));
      expect(plans).toHaveLength(2);
      // More records than the window holds: the first plan came from the file.
      expect(records.length).toBeGreaterThan(8);
      const scripts = plans[0]!.scripts;
      expect(scripts.length).toBeGreaterThanOrEqual(2);
      for (const p of scripts) {
        expect(p.source).toBe(embeddedScripts().find((e) => e.name === p.name)?.source);
        expect(sha256(p.source)).toBe(p.sha256);
      }
      expect(plans[1]!.scripts.map((p) => [p.name, p.sha256, p.source])).toEqual(scripts.map((p) => [p.name, p.sha256, '']));
    } finally {
      client.close();
      await server.shutdown(1000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
