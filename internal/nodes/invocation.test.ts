// Invocation evidence: hashes input however it arrived, keeps the complete output, records once, in whole milliseconds.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InvocationEvidence, nodeKindOf } from './invocation.js';

describe('InvocationEvidence', () => {
  const node = { id: 'tts', kind: 'tts', builtin: 'mock_tts' };

  it('hashes the concatenated input and keeps the concatenated output', () => {
    const inv = new InvocationEvidence(node, 10);
    inv.addInput(new Uint8Array([1, 2]));
    inv.addInput(new Uint8Array([3]));
    inv.addOutput(new Uint8Array([9]));
    inv.addOutput(new Uint8Array([8, 7]));
    const record = inv.close('ok', 25);
    expect(record).toEqual({
      node_id: 'tts',
      node_kind: 'mock_tts',
      input_sha256: new Uint8Array(createHash('sha256').update(new Uint8Array([1, 2, 3])).digest()),
      output: new Uint8Array([9, 8, 7]),
      outcome: 'ok',
      duration_ms: 15,
    });
  });

  it('records once, and in whole milliseconds (the timeline field is a uint64; the real clock is fractional)', () => {
    const inv = new InvocationEvidence(node, 1.25);
    expect(inv.close('canceled', 3.9)?.duration_ms).toBe(3);
    expect(inv.close('ok', 5)).toBeUndefined();
    expect(inv.isClosed).toBe(true);
  });

  it('names the implementation that ran', () => {
    expect(nodeKindOf(node)).toBe('mock_tts');
    expect(nodeKindOf({ id: 'x', kind: 'llm', script: 'my_llm' })).toBe('my_llm');
    expect(nodeKindOf({ id: 'x', kind: 'custom' })).toBe('custom');
  });
});
