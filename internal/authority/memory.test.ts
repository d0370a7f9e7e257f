// Memory authority behaviour: epochs only grow, only the current epoch acts, memory stays flat.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { VirtualClock } from '../determinism/clock.js';
import { createAuthority, MemoryAuthority } from './index.js';
import type { AuthorityResult, Lease } from './types.js';

function value<T>(result: AuthorityResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.message}`);
  return result.value;
}

function setup(): { clock: VirtualClock; authority: MemoryAuthority; events: [string, Lease | undefined][] } {
  const clock = new VirtualClock();
  const authority = new MemoryAuthority(clock);
  const events: [string, Lease | undefined][] = [];
  authority.watch((s, l) => events.push([s, l]));
  return { clock, authority, events };
}

describe('memory authority', () => {
  test('acquire creates a lease; another live holder is refused with the holder named', async () => {
    const { authority } = setup();
    const lease = value(await authority.acquire('s1', 'k1', 1000));
    expect(lease).toEqual({ session_id: 's1', holder: 'k1', epoch: lease.epoch, expires_at_ms: 1000 });
    expect(lease.epoch).toBeGreaterThan(0);
    const refused = await authority.acquire('s1', 'k2', 1000);
    expect(refused).toMatchObject({ ok: false, code: 'held_by_other', lease: { holder: 'k1', epoch: lease.epoch } });
  });

  test('the same live holder acquiring again keeps its epoch and never shortens the lease', async () => {
    const { clock, authority, events } = setup();
    const first = value(await authority.acquire('s1', 'k1', 1000));
    clock.advance(400);
    const again = value(await authority.acquire('s1', 'k1', 1000));
    expect(again.epoch).toBe(first.epoch);
    expect(again.expires_at_ms).toBe(1400);
    const shorter = value(await authority.acquire('s1', 'k1', 10));
    expect(shorter.expires_at_ms).toBe(1400);
    expect(events).toHaveLength(1); // only the grant changed holder/epoch
  });

  test('only the current epoch renews or releases', async () => {
    const { clock, authority } = setup();
    const first = value(await authority.acquire('s1', 'k1', 1000));
    const moved = value(await authority.transfer('s1', 'k2', 1000));
    expect(await authority.renew('s1', first.epoch, 1000)).toMatchObject({ ok: false, code: 'stale_epoch', lease: { epoch: moved.epoch } });
    expect(await authority.release('s1', first.epoch)).toMatchObject({ ok: false, code: 'stale_epoch' });
    expect(await authority.renew('s1', 0, 1000)).toMatchObject({ ok: false, code: 'stale_epoch' });
    clock.advance(600);
    expect(value(await authority.renew('s1', moved.epoch, 1000)).expires_at_ms).toBe(1600);
    expect(value(await authority.release('s1', moved.epoch))).toMatchObject({ holder: 'k2', epoch: moved.epoch });
    expect(await authority.get('s1')).toMatchObject({ ok: false, code: 'not_found' });
    expect(await authority.renew('s1', moved.epoch, 1000)).toMatchObject({ ok: false, code: 'not_found' });
  });

  test('an expired lease is free: taken over with a higher epoch, and its holder can no longer renew', async () => {
    const { clock, authority, events } = setup();
    const first = value(await authority.acquire('s1', 'k1', 1000));
    clock.advance(999);
    expect(await authority.acquire('s1', 'k2', 1000)).toMatchObject({ ok: false, code: 'held_by_other' });
    clock.advance(1); // expires_at_ms <= now: free
    expect(await authority.get('s1')).toMatchObject({ ok: false, code: 'not_found' });
    const taken = value(await authority.acquire('s1', 'k2', 1000));
    expect(taken.epoch).toBeGreaterThan(first.epoch);
    expect(await authority.renew('s1', first.epoch, 1000)).toMatchObject({ ok: false, code: 'stale_epoch' });
    expect(events.map(([, l]) => l?.holder)).toEqual(['k1', undefined, 'k2']);
  });

  test('the same holder re-acquiring after expiry or release gets a new, higher epoch', async () => {
    const { clock, authority } = setup();
    const first = value(await authority.acquire('s1', 'k1', 100));
    clock.advance(100);
    const second = value(await authority.acquire('s1', 'k1', 100));
    expect(second.epoch).toBeGreaterThan(first.epoch);
    value(await authority.release('s1', second.epoch));
    const third = value(await authority.acquire('s1', 'k1', 100));
    expect(third.epoch).toBeGreaterThan(second.epoch);
  });

  test('transfer bumps the epoch and the watch fires before the transfer answers', async () => {
    const { authority } = setup();
    const first = value(await authority.acquire('s1', 'k1', 1000));
    const seen: (Lease | undefined)[] = [];
    authority.watch((_s, l) => seen.push(l));
    const pending = authority.transfer('s1', 'k2', 1000);
    // Synchronous notification: the old holder is fenced before anyone awaits the answer.
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ holder: 'k2' });
    const moved = value(await pending);
    expect(moved.epoch).toBeGreaterThan(first.epoch);
    expect(seen[0]).toEqual(moved);
    // Transfer to the current holder still fences the old epoch.
    const self = value(await authority.transfer('s1', 'k2', 1000));
    expect(self.epoch).toBeGreaterThan(moved.epoch);
    // Transfer of a free session grants it.
    expect(value(await authority.transfer('s2', 'k3', 1000)).holder).toBe('k3');
  });

  test('unsubscribed listeners hear nothing; a throwing listener does not silence the others', async () => {
    const { authority } = setup();
    const heard: string[] = [];
    const unsubscribe = authority.watch((s) => heard.push(`gone:${s}`));
    unsubscribe();
    unsubscribe();
    authority.watch(() => {
      throw new Error('listener bug');
    });
    authority.watch((s) => heard.push(s));
    await expect(authority.acquire('s1', 'k1', 1000)).rejects.toThrow('listener bug');
    expect(heard).toEqual(['s1']);
    expect(value(await authority.get('s1')).holder).toBe('k1'); // the change stands
  });

  test('epochs strictly increase per session over any sequence of operations and clock steps', async () => {
    const sessions = ['a', 'b', 'c'] as const;
    const holders = ['k1', 'k2', 'k3'] as const;
    type Op =
      | { op: 'acquire' | 'transfer'; s: number; h: number; ttl: number }
      | { op: 'renew'; s: number; epoch: number | 'current'; ttl: number }
      | { op: 'release'; s: number; epoch: number | 'current' }
      | { op: 'get'; s: number }
      | { op: 'advance'; ms: number };
    const s = fc.nat({ max: sessions.length - 1 });
    const h = fc.nat({ max: holders.length - 1 });
    const ttl = fc.integer({ min: 1, max: 1000 });
    const epoch = fc.oneof(fc.constant('current' as const), fc.nat({ max: 40 }));
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constantFrom('acquire' as const, 'transfer' as const), s, h, ttl }),
      fc.record({ op: fc.constant('renew' as const), s, epoch, ttl }),
      fc.record({ op: fc.constant('release' as const), s, epoch }),
      fc.record({ op: fc.constant('get' as const), s }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1200 }) }),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 120 }), async (ops) => {
        const { clock, authority, events } = setup();
        const model = new Map<string, Lease>(); // the lease each session should have, if live
        const highest = new Map<string, number>(); // every epoch any session ever had, at most this
        const live = (id: string): Lease | undefined => {
          const lease = model.get(id);
          return lease && lease.expires_at_ms > clock.now() ? lease : undefined;
        };
        const fresh = (lease: Lease): void => {
          expect(lease.epoch).toBeGreaterThan(highest.get(lease.session_id) ?? 0);
          highest.set(lease.session_id, lease.epoch);
          model.set(lease.session_id, lease);
        };
        for (const o of ops) {
          if (o.op === 'advance') {
            clock.advance(o.ms);
            continue;
          }
          const id = sessions[o.s]!;
          const current = live(id);
          const chosen = o.op === 'renew' || o.op === 'release' ? (o.epoch === 'current' ? (current?.epoch ?? 0) : o.epoch) : 0;
          switch (o.op) {
            case 'acquire': {
              const holder = holders[o.h]!;
              const result = await authority.acquire(id, holder, o.ttl);
              if (current && current.holder !== holder) {
                expect(result).toMatchObject({ ok: false, code: 'held_by_other', lease: current });
              } else if (current) {
                const lease = value(result);
                expect(lease.epoch).toBe(current.epoch);
                expect(lease.expires_at_ms).toBe(Math.max(current.expires_at_ms, clock.now() + o.ttl));
                model.set(id, lease);
              } else {
                fresh(value(result));
              }
              break;
            }
            case 'transfer': {
              const lease = value(await authority.transfer(id, holders[o.h]!, o.ttl));
              expect(lease.holder).toBe(holders[o.h]);
              fresh(lease);
              break;
            }
            case 'renew': {
              const result = await authority.renew(id, chosen, o.ttl);
              if (!current) expect(result).toMatchObject({ ok: false, code: 'not_found' });
              else if (current.epoch !== chosen) expect(result).toMatchObject({ ok: false, code: 'stale_epoch', lease: current });
              else {
                const lease = value(result);
                expect(lease.epoch).toBe(chosen);
                model.set(id, lease);
              }
              break;
            }
            case 'release': {
              const result = await authority.release(id, chosen);
              if (!current) expect(result).toMatchObject({ ok: false, code: 'not_found' });
              else if (current.epoch !== chosen) expect(result).toMatchObject({ ok: false, code: 'stale_epoch' });
              else {
                expect(value(result)).toEqual(current);
                model.delete(id);
              }
              break;
            }
            case 'get': {
              const result = await authority.get(id);
              if (current) expect(value(result)).toEqual(current);
              else expect(result).toMatchObject({ ok: false, code: 'not_found' });
              break;
            }
          }
        }
        // The watch saw every grant, in strictly increasing epoch order per session.
        for (const id of sessions) {
          const epochs = events.filter(([sid, l]) => sid === id && l).map(([, l]) => l!.epoch);
          for (let i = 1; i < epochs.length; i++) expect(epochs[i]!).toBeGreaterThan(epochs[i - 1]!);
          expect(epochs[epochs.length - 1] ?? 0).toBe(highest.get(id) ?? 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('memory is flat after 100,000 acquire/release cycles', async () => {
    const { authority } = setup();
    let last = 0;
    for (let i = 0; i < 100_000; i++) {
      const id = i % 2 === 0 ? `s-${i}` : 'same';
      const lease = value(await authority.acquire(id, 'k1', 1000));
      expect(lease.epoch).toBeGreaterThan(last);
      last = lease.epoch;
      value(await authority.release(id, lease.epoch));
    }
    expect(authority.leaseCount).toBe(0);
    expect(authority.listenerCount).toBe(1);
  });

  test('leases that expire without release are swept, so the table stays near its live size', async () => {
    const { clock, authority } = setup();
    let peak = 0;
    // Each lease lives 100 ms and one is acquired per ms: about 100 are live at any time.
    for (let i = 0; i < 20_000; i++) {
      value(await authority.acquire(`s-${i}`, 'k1', 100));
      clock.advance(1);
      peak = Math.max(peak, authority.leaseCount);
    }
    expect(peak).toBeLessThanOrEqual(2 * 100 + 64 + 1);
    clock.advance(100);
    for (let i = 0; i < 300; i++) await authority.get('nothing');
    expect(authority.leaseCount).toBe(0);
  });

  test('a closed backend answers unavailable and keeps nothing', async () => {
    const { authority } = setup();
    value(await authority.acquire('s1', 'k1', 1000));
    await authority.close();
    expect(authority.leaseCount).toBe(0);
    expect(authority.listenerCount).toBe(0);
    expect(await authority.acquire('s1', 'k1', 1000)).toMatchObject({ ok: false, code: 'unavailable' });
    expect(await authority.get('s1')).toMatchObject({ ok: false, code: 'unavailable' });
  });

  test('a non-positive TTL or an empty id is a caller bug', async () => {
    const { authority } = setup();
    await expect(authority.acquire('s1', 'k1', 0)).rejects.toThrow(RangeError);
    await expect(authority.acquire('s1', 'k1', Number.NaN)).rejects.toThrow(RangeError);
    await expect(authority.acquire('', 'k1', 10)).rejects.toThrow(RangeError);
    await expect(authority.transfer('s1', '', 10)).rejects.toThrow(RangeError);
  });

  test('createAuthority builds memory and refuses etcd and unknown specs clearly', () => {
    const clock = new VirtualClock();
    expect(createAuthority('memory', clock).name).toBe('memory');
    expect(() => createAuthority('etcd://127.0.0.1:2379', clock)).toThrow('etcd authority is not available in this build yet');
    expect(() => createAuthority('zookeeper', clock)).toThrow(/unknown authority "zookeeper"/);
  });
});
