// The session logger's bindings and the default redaction, read back from the
// JSON lines pino writes to a captured destination.
import { describe, expect, test } from 'vitest';
import { type LoggerOptions, createRootLogger, sessionLogger, turnLogger } from './logger.js';

/** A root logger writing to memory, and the lines it has written so far, parsed. */
function capturedRoot(opts: Omit<LoggerOptions, 'destination'> = {}) {
  const written: string[] = [];
  const root = createRootLogger({ level: 'debug', ...opts, destination: { write: (line: string) => void written.push(line) } });
  const lines = (): Record<string, unknown>[] => written.join('').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  return { root, lines };
}

describe('session logger', () => {
  test('every line of a session logger carries session_id and epoch; a turn logger adds turn_id to both', () => {
    const { root, lines } = capturedRoot();
    const session = sessionLogger(root, 's-abc', 3);
    session.info({ owner: 'k2' }, 'authority lost: session fenced');
    turnLogger(session, 't-1').warn({ node_id: 'llm', code: 'unavailable' }, 'node llm failed: unavailable; the turn aborts provider_failure');
    expect(lines()).toMatchObject([
      { level: 30, service: 'baton', session_id: 's-abc', epoch: 3, owner: 'k2', msg: 'authority lost: session fenced' },
      { level: 40, session_id: 's-abc', epoch: 3, turn_id: 't-1', node_id: 'llm', code: 'unavailable' },
    ]);
    expect(lines()[0]).not.toHaveProperty('turn_id');
  });

  test('a turn can be bound from the root in one call, with the same fields', () => {
    const { root, lines } = capturedRoot();
    sessionLogger(root, 's-abc', 3, 't-2').info('turn line');
    expect(lines()[0]).toMatchObject({ session_id: 's-abc', epoch: 3, turn_id: 't-2' });
  });

  test('epoch 0 (no lease held) is left out rather than logged as an epoch', () => {
    const { root, lines } = capturedRoot();
    sessionLogger(root, 's-abc', 0).info('reattached while fenced');
    sessionLogger(root, 's-abc').info('no epoch given');
    for (const line of lines()) {
      expect(line['session_id']).toBe('s-abc');
      expect(line).not.toHaveProperty('epoch');
    }
  });

  test('without a root logger there is no session or turn logger, so nothing is logged', () => {
    expect(sessionLogger(undefined, 's-abc', 3)).toBeUndefined();
    expect(turnLogger(undefined, 't-1')).toBeUndefined();
  });
});

describe('personal data redaction', () => {
  test('the pii key is removed by default, at the top level and one level down; the rest of the line stays', () => {
    const { root, lines } = capturedRoot();
    const session = sessionLogger(root, 's-abc', 1);
    session.info({ pii: { text: 'my secret is swordfish' }, tracks: ['inbound'] }, 'media stream started');
    session.info({ call: { pii: { customParameters: { pin: '4242' } }, sid: 'CA1' } }, 'nested');
    const [top, nested] = lines();
    expect(top).toMatchObject({ session_id: 's-abc', tracks: ['inbound'], msg: 'media stream started' });
    expect(top).not.toHaveProperty('pii');
    expect(nested).toMatchObject({ call: { sid: 'CA1' } });
    expect(nested!['call']).not.toHaveProperty('pii');
    const all = JSON.stringify(lines());
    expect(all).not.toContain('swordfish');
    expect(all).not.toContain('4242');
  });

  test('keepPii (local debugging only) keeps the pii key', () => {
    const { root, lines } = capturedRoot({ keepPii: true });
    sessionLogger(root, 's-abc', 1).info({ pii: { text: 'swordfish' } }, 'kept');
    expect(lines()[0]).toMatchObject({ pii: { text: 'swordfish' } });
  });
});
