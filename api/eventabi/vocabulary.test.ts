// The pre-turn and stale-epoch texts are matched by tests and the Python
// clients: spelled once in vocabulary.ts, they must stay byte-for-byte.
import { describe, expect, test } from 'vitest';
import { PRE_TURN_REASONS, staleEpochMessage, staleEpochReason } from './vocabulary.js';

describe('stale epoch messages', () => {
  test('on the session stream the message names the current epoch', () => {
    expect(staleEpochMessage(3, 4)).toBe('epoch 3 is not the current epoch 4');
  });

  test('outside the stream the message names the session, with or without the current epoch', () => {
    expect(staleEpochMessage(3, 4, { session_id: 's-1' })).toBe('epoch 3 is not the current epoch 4 of session s-1');
    expect(staleEpochMessage(3, undefined, { session_id: 's-1' })).toBe('epoch 3 is not the current epoch of session s-1');
  });

  test('a turn.stale_epoch without a held lease says authority_not_held, else names both epochs', () => {
    expect(staleEpochReason(3, 0)).toBe('authority_not_held');
    expect(staleEpochReason(3, 5)).toBe('epoch 3 is not the current epoch 5');
  });
});

describe('pre-turn reasons', () => {
  test('are the wire names turn.rejected, turn.deferred and turn.stale_epoch carry', () => {
    expect(Object.values(PRE_TURN_REASONS).sort()).toEqual(
      ['authority_not_held', 'pool_exhausted', 'rate_limited', 'session_ending', 'tenant_turns_exhausted', 'turn_active'],
    );
  });
});
