// Where analysis runs: inline gives analyzeScript's answer; the worker analyzer answers every request exactly once, in order, with a bounded queue, and survives a worker that hangs, exits or throws. Stand-in workers speak its protocol so each failure is deterministic.
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { analyzeScript, type AnalysisResult } from './analyze.js';
import { InlineAnalyzer, WorkerAnalyzer } from './analyzer.js';

/** A worker that answers each request with an ok analysis whose import list is the source, so answers can be matched to requests. */
const ECHO = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (r) => parentPort.postMessage({ id: r.id, result: { ok: true, analysis: { kind: r.kind, imports: [], specifiers: [r.source], exports: new Map() } } }));
`;
const SILENT = `require('node:worker_threads').parentPort.on('message', () => {});`;
const EXITS = `require('node:worker_threads').parentPort.on('message', () => process.exit(3));`;
const THROWS = `require('node:worker_threads').parentPort.on('message', () => { throw new Error('boom'); });`;

const opened: WorkerAnalyzer[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.close()));
});

/** An analyzer whose n-th worker runs `scripts[n]` (the last one repeats); `spawned` counts workers started. */
function analyzer(scripts: string[], opts: { timeoutMs?: number; maxQueued?: number } = {}): { analyzer: WorkerAnalyzer; spawned: () => number } {
  let spawned = 0;
  const a = new WorkerAnalyzer({
    ...opts,
    spawn: () => new Worker(scripts[Math.min(spawned++, scripts.length - 1)]!, { eval: true }),
  });
  opened.push(a);
  return { analyzer: a, spawned: () => spawned };
}

function echoed(result: AnalysisResult): string {
  if (!result.ok) throw new Error(`expected ok, got ${result.problems.map((p) => p.message).join('; ')}`);
  return result.analysis.specifiers[0]!;
}

function unavailable(result: AnalysisResult): string {
  if (result.ok || result.problems[0]!.code !== 'analysis_unavailable') throw new Error(`expected analysis_unavailable, got ${JSON.stringify(result)}`);
  return result.problems[0]!.message;
}

describe('inline analysis', () => {
  test('answers exactly what analyzeScript answers', async () => {
    for (const source of ['export default function h() {}', 'let x = ;', 'let y = 1;']) {
      expect(await new InlineAnalyzer().analyze('node', source)).toEqual(analyzeScript('node', source));
    }
  });
});

describe('the worker analyzer', () => {
  test('answers every request once, with its own result, in order, on one worker', async () => {
    const { analyzer: a, spawned } = analyzer([ECHO]);
    const answers = await Promise.all(['a', 'b', 'c', 'd'].map((s) => a.analyze('module', s)));
    expect(answers.map(echoed)).toEqual(['a', 'b', 'c', 'd']);
    expect(spawned()).toBe(1);
  });

  test('a full queue refuses at once with analysis_unavailable; closing answers everything still waiting', async () => {
    const { analyzer: a } = analyzer([SILENT], { maxQueued: 2 });
    const running = a.analyze('module', 'running');
    const queued = [a.analyze('module', 'q1'), a.analyze('module', 'q2')];
    expect(unavailable(await a.analyze('module', 'one too many'))).toBe('2 scripts are already waiting for analysis; retry shortly');
    await a.close();
    for (const answer of [running, ...queued]) expect(unavailable(await answer)).toBe('the analyzer was closed');
    expect(unavailable(await a.analyze('module', 'after close'))).toBe('the analyzer was closed');
  });

  test('an analysis that overruns its time is answered analysis_unavailable and the next request gets a fresh worker', async () => {
    const { analyzer: a, spawned } = analyzer([SILENT, ECHO], { timeoutMs: 50 });
    const stuck = a.analyze('module', 'stuck');
    const next = a.analyze('module', 'next');
    expect(unavailable(await stuck)).toBe('the analysis took longer than 50 ms and was stopped');
    expect(echoed(await next)).toBe('next');
    expect(spawned()).toBe(2);
  });

  test('a worker that exits is answered analysis_unavailable and replaced', async () => {
    const { analyzer: a, spawned } = analyzer([EXITS, ECHO]);
    expect(unavailable(await a.analyze('module', 'kills it'))).toBe('the analyzer stopped (exit code 3), possibly out of memory on this source');
    expect(echoed(await a.analyze('module', 'after'))).toBe('after');
    expect(spawned()).toBe(2);
  });

  test('a worker that throws is answered analysis_unavailable and replaced', async () => {
    const { analyzer: a, spawned } = analyzer([THROWS, ECHO]);
    expect(unavailable(await a.analyze('module', 'throws'))).toBe('the analyzer failed (boom)');
    expect(echoed(await a.analyze('module', 'after'))).toBe('after');
    expect(spawned()).toBe(2);
  });

  test('a request cancelled while it waits is not run', async () => {
    const { analyzer: a } = analyzer([ECHO]);
    const controller = new AbortController();
    const first = a.analyze('module', 'first');
    const cancelled = a.analyze('module', 'cancelled', controller.signal);
    const last = a.analyze('module', 'last');
    controller.abort();
    expect(echoed(await first)).toBe('first');
    expect(unavailable(await cancelled)).toBe('the request was cancelled before its analysis started');
    expect(echoed(await last)).toBe('last');
  });
});
