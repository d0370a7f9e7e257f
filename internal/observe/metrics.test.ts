import { describe, expect, test } from 'vitest';
import { Metrics } from './metrics.js';

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
