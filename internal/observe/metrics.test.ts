import { describe, expect, test } from 'vitest';
import type { ScriptObserver } from '../nodes/script-node.js';
import { createRootLogger } from './logger.js';
import { Metrics, scriptEvents } from './metrics.js';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('per-frame counters', () => {
  test('increments show up at scrape time by label set, are never counted twice across scrapes, and keep accumulating', async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 3; i++) metrics.egressEvents.inc({ kind: 'audio.out' });
    metrics.egressEvents.inc({ kind: 'turn.opened' });
    metrics.ingressEvents.inc({ kind: 'audio.in', encoding: 'proto' });
    metrics.ingressEvents.inc({ kind: 'audio.in', encoding: 'json' });
    let text = await metrics.registry.metrics();
    expect(sample(text, 'baton_egress_events_total{kind="audio.out"}')).toBe(3);
    expect(sample(text, 'baton_egress_events_total{kind="turn.opened"}')).toBe(1);
    expect(sample(text, 'baton_ingress_events_total{kind="audio.in",encoding="proto"}')).toBe(1);
    expect(sample(text, 'baton_ingress_events_total{kind="audio.in",encoding="json"}')).toBe(1);
    text = await metrics.registry.metrics();
    expect(sample(text, 'baton_egress_events_total{kind="audio.out"}')).toBe(3);
    metrics.egressEvents.inc({ kind: 'audio.out' });
    text = await metrics.registry.metrics();
    expect(sample(text, 'baton_egress_events_total{kind="audio.out"}')).toBe(4);
    expect(text).toContain('# TYPE baton_egress_events_total counter');
  });

  test('label values that share a prefix stay separate series', async () => {
    const metrics = new Metrics();
    metrics.ingressEvents.inc({ kind: 'a', encoding: 'bc' });
    metrics.ingressEvents.inc({ kind: 'ab', encoding: 'c' });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'baton_ingress_events_total{kind="a",encoding="bc"}')).toBe(1);
    expect(sample(text, 'baton_ingress_events_total{kind="ab",encoding="c"}')).toBe(1);
  });
});

describe('script node events', () => {
  test('a refused capability is counted by capability and logged at warn as a security event with node and binding', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const lines: Record<string, unknown>[] = [];
    const logger = createRootLogger({ level: 'debug', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
    const events: ScriptObserver = scriptEvents(metrics, logger);
    events.securityViolation({ tenant: 't1', node_id: 'bot', capability: 'provider.call', binding: 'other' });
    events.securityViolation({ tenant: 't1', node_id: 'bot', capability: 'provider.call', binding: 'x' });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'baton_script_security_violations_total{capability="provider.call"}')).toBe(2);
    expect(lines[0]).toMatchObject({ level: 40, event: 'security', tenant: 't1', node_id: 'bot', capability: 'provider.call', binding: 'other' });
  });

  test('runs are observed by node kind and outcome, peak memory by node kind only, unknown kinds clamped', async () => {
    const metrics = new Metrics({ processMetrics: false });
    const events = scriptEvents(metrics, undefined);
    events.invocation({ node_kind: 'custom', outcome: 'ok', seconds: 0.002, memory_bytes: 3 << 20 });
    events.invocation({ node_kind: 'llm', outcome: 'timeout', seconds: 1.5 });
    events.invocation({ node_kind: 'made-up', outcome: 'ok', seconds: 0.001 });
    const text = await metrics.registry.metrics();
    expect(sample(text, 'baton_script_run_seconds_count{node_kind="custom",outcome="ok"}')).toBe(1);
    expect(sample(text, 'baton_script_run_seconds_count{node_kind="llm",outcome="timeout"}')).toBe(1);
    expect(sample(text, 'baton_script_run_seconds_count{node_kind="other",outcome="ok"}')).toBe(1);
    expect(sample(text, 'baton_script_memory_bytes_count{node_kind="custom"}')).toBe(1);
    expect(text).not.toContain('made-up');
  });

  test("a script's log line carries its message only under pii, which redaction removes", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createRootLogger({ level: 'debug', destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } });
    scriptEvents(undefined, logger).scriptLog({ node_id: 'bot', level: 'info', message: 'user said their card number' });
    expect(lines).toHaveLength(1);
    expect(JSON.stringify(lines[0])).not.toContain('card number');
    expect(lines[0]).toMatchObject({ event: 'script_log', node_id: 'bot', level: 30 });
  });
});
