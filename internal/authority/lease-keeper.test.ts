// Lease keeper behaviour on the virtual clock: renews at TTL/2, loses authority at its local deadline, never revives.
import { describe, expect, test } from 'vitest';
import { VirtualClock } from '../determinism/clock.js';
import { LeaseKeeper } from './lease-keeper.js';
import { MemoryAuthority } from './memory.js';
import type { AuthorityBackend, AuthorityResult, Lease, LeaseLossReason } from './types.js';

type RenewMode = 'pass' | 'stall' | 'fail' | 'reject';

/**
 * A memory authority behind a controllable network: the backend acts when a
 * request arrives, and the answer reaches the caller `delay` virtual ms later
 * (or never, for a stalled renew).
 */
class Network implements AuthorityBackend {
  readonly name = 'network';
  readonly inner: MemoryAuthority;
  renewMode: RenewMode = 'pass';
  acquireDelayMs = 0;
  renewDelayMs = 0;
  deliverWatch = true;
  readonly renewsAt: number[] = [];

  constructor(private readonly clock: VirtualClock) {
    this.inner = new MemoryAuthority(clock);
  }

  acquire(s: string, h: string, ttl: number): Promise<AuthorityResult<Lease>> {
    return this.answer(this.acquireDelayMs, this.inner.acquire(s, h, ttl));
  }

  renew(s: string, epoch: number, ttl: number): Promise<AuthorityResult<Lease>> {
    this.renewsAt.push(this.clock.now());
    switch (this.renewMode) {
      case 'stall':
        return new Promise(() => {});
      case 'fail':
        return Promise.resolve({ ok: false, code: 'unavailable', message: 'backend down' });
      case 'reject':
        return Promise.reject(new Error('connection reset'));
      case 'pass':
        return this.answer(this.renewDelayMs, this.inner.renew(s, epoch, ttl));
    }
  }

  release(s: string, epoch: number): Promise<AuthorityResult<Lease>> {
    return this.inner.release(s, epoch);
  }

  transfer(s: string, h: string, ttl: number): Promise<AuthorityResult<Lease>> {
    return this.inner.transfer(s, h, ttl);
  }

  get(s: string): Promise<AuthorityResult<Lease>> {
    return this.inner.get(s);
  }

  watch(listener: (s: string, lease: Lease | undefined) => void): () => void {
    return this.inner.watch((s, l) => {
      if (this.deliverWatch) listener(s, l);
    });
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private answer<T>(delayMs: number, result: Promise<T>): Promise<T> {
    if (delayMs === 0) return result;
    return new Promise((resolve) => this.clock.setTimer(delayMs, () => resolve(result)));
  }
}

/** Lets settled promises run their handlers: a macrotask turn, not a sleep. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Moves virtual time to `target`, letting promise handlers run after every timer. */
async function runTo(clock: VirtualClock, target: number): Promise<void> {
  for (;;) {
    await settle();
    const due = clock.nextDue();
    if (due === undefined || due > target) break;
    clock.advanceTo(due);
  }
  clock.advanceTo(target);
  await settle();
}

function setup(ttl_ms = 1000): {
  clock: VirtualClock;
  net: Network;
  keeper: LeaseKeeper;
  losses: [LeaseLossReason, Lease | undefined][];
} {
  const clock = new VirtualClock();
  const net = new Network(clock);
  const losses: [LeaseLossReason, Lease | undefined][] = [];
  const keeper = new LeaseKeeper({ backend: net, clock, session_id: 's1', holder: 'k1', ttl_ms, onLost: (reason, lease) => losses.push([reason, lease]) });
  return { clock, net, keeper, losses };
}

describe('lease keeper', () => {
  test('renews at TTL/2 on the clock and stays authoritative while renewals succeed', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    const started = await keeper.start();
    expect(started.ok).toBe(true);
    const epoch = keeper.epoch;
    expect(epoch).toBeGreaterThan(0);
    await runTo(clock, 3200);
    expect(net.renewsAt).toEqual([500, 1000, 1500, 2000, 2500, 3000]);
    expect(keeper.isAuthoritative()).toBe(true);
    expect(keeper.isAuthoritative(epoch)).toBe(true);
    expect(keeper.isAuthoritative(epoch + 1)).toBe(false);
    expect(keeper.isAuthoritative(0)).toBe(false);
    expect(keeper.epoch).toBe(epoch);
    expect(losses).toEqual([]);
  });

  test.each(['stall', 'fail', 'reject'] as const)(
    'renewals that %s: deauthorizes exactly when the local deadline passes, and onLost fires once',
    async (mode) => {
      const { clock, net, keeper, losses } = setup(1000);
      net.renewMode = mode;
      await keeper.start();
      await runTo(clock, 999);
      expect(keeper.isAuthoritative()).toBe(true);
      expect(losses).toEqual([]);
      await runTo(clock, 1000);
      expect(keeper.isAuthoritative()).toBe(false);
      expect(keeper.epoch).toBe(0);
      expect(losses).toEqual([['expired', undefined]]);
      // Retried every TTL/8 until the deadline, then never again.
      expect(net.renewsAt).toEqual([500, 625, 750, 875]);
      await runTo(clock, 10_000);
      expect(losses).toHaveLength(1);
      expect(net.renewsAt).toHaveLength(4);
      expect(clock.pending).toBe(0);
      expect(net.inner.listenerCount).toBe(0);
    },
  );

  test('a transient renew failure is retried before the deadline and authority is kept', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.renewMode = 'fail';
    await keeper.start();
    await runTo(clock, 700);
    net.renewMode = 'pass';
    await runTo(clock, 1700); // the retry at 750 succeeds: deadline 1750
    expect(keeper.isAuthoritative()).toBe(true);
    expect(net.renewsAt.slice(0, 4)).toEqual([500, 625, 750, 1250]);
    expect(losses).toEqual([]);
  });

  test('the local deadline counts from the acquire request start, not its answer', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.acquireDelayMs = 300;
    net.renewMode = 'stall';
    const started = keeper.start();
    await runTo(clock, 300);
    expect((await started).ok).toBe(true);
    expect(keeper.isAuthoritative()).toBe(true);
    await runTo(clock, 999);
    expect(keeper.isAuthoritative()).toBe(true);
    await runTo(clock, 1000);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(losses).toEqual([['expired', undefined]]);
  });

  test('the local deadline counts from the renew request start, not its answer', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.renewDelayMs = 100; // renew sent at 500 is answered at 600: deadline 1500, not 1600
    await keeper.start();
    await runTo(clock, 700);
    net.renewMode = 'stall';
    await runTo(clock, 1499);
    expect(keeper.isAuthoritative()).toBe(true);
    await runTo(clock, 1500);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(losses).toEqual([['expired', undefined]]);
  });

  test('a renew success that arrives after the deadline never re-authorizes the keeper', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.renewDelayMs = 5000; // the backend renews at once, but the answers arrive long after the deadline
    await keeper.start();
    await runTo(clock, 1000);
    expect(losses).toEqual([['expired', undefined]]);
    await runTo(clock, 20_000);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(keeper.epoch).toBe(0);
    expect(losses).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  test('a transfer away fences the keeper before the transfer answers; onLost names the new holder once', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    await keeper.start();
    const epoch = keeper.epoch;
    const pending = net.transfer('s1', 'k2', 1000);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(keeper.isAuthoritative(epoch)).toBe(false);
    expect(losses).toHaveLength(1);
    expect(losses[0]![0]).toBe('superseded');
    expect(losses[0]![1]).toMatchObject({ holder: 'k2' });
    expect(losses[0]![1]!.epoch).toBeGreaterThan(epoch);
    await pending;
    await runTo(clock, 5000);
    expect(losses).toHaveLength(1);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(clock.pending).toBe(0);
    expect(net.inner.listenerCount).toBe(0);
  });

  test('a renew answered stale_epoch (the change was never watched) supersedes the keeper', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.deliverWatch = false;
    await keeper.start();
    await net.transfer('s1', 'k2', 1000);
    expect(keeper.isAuthoritative()).toBe(true); // it cannot know yet
    await runTo(clock, 500);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(losses).toHaveLength(1);
    expect(losses[0]).toMatchObject(['superseded', { holder: 'k2' }]);
  });

  test('a release of its epoch by someone else is a loss with reason released', async () => {
    const { net, keeper, losses } = setup(1000);
    await keeper.start();
    await net.release('s1', keeper.epoch);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(losses).toEqual([['released', undefined]]);
  });

  test('stop releases the lease, leaves no timer or listener and never calls onLost', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    await keeper.start();
    await runTo(clock, 600);
    await keeper.stop();
    await keeper.stop();
    expect(keeper.isAuthoritative()).toBe(false);
    expect(keeper.epoch).toBe(0);
    expect(clock.pending).toBe(0);
    expect(net.inner.leaseCount).toBe(0);
    expect(net.inner.listenerCount).toBe(0);
    await runTo(clock, 5000);
    expect(losses).toEqual([]);
    expect(net.renewsAt).toEqual([500]);
  });

  test('stop during the acquire releases whatever the acquire gets', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.acquireDelayMs = 300;
    const started = keeper.start();
    const stopped = keeper.stop();
    await runTo(clock, 300);
    await stopped;
    expect(await started).toMatchObject({ ok: false, code: 'unavailable' });
    expect(keeper.isAuthoritative()).toBe(false);
    expect(net.inner.leaseCount).toBe(0);
    expect(clock.pending).toBe(0);
    expect(losses).toEqual([]);
  });

  test('an acquire superseded while in flight is refused and the newer holder keeps the lease', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.acquireDelayMs = 300;
    const started = keeper.start();
    await runTo(clock, 100);
    const moved = await net.transfer('s1', 'k2', 1000);
    await runTo(clock, 300);
    expect(await started).toMatchObject({ ok: false, code: 'held_by_other', lease: { holder: 'k2' } });
    expect(keeper.isAuthoritative()).toBe(false);
    expect(losses).toEqual([]);
    expect(await net.get('s1')).toEqual(moved);
    expect(net.inner.listenerCount).toBe(0);
  });

  test('an acquire answered after its local deadline is refused and released', async () => {
    const { clock, net, keeper } = setup(1000);
    net.acquireDelayMs = 1000;
    const started = keeper.start();
    await runTo(clock, 1000);
    expect(await started).toMatchObject({ ok: false, code: 'unavailable' });
    expect(keeper.isAuthoritative()).toBe(false);
    expect(net.inner.leaseCount).toBe(0);
    expect(clock.pending).toBe(0);
  });

  test('another live holder refuses the start; a keeper starts only once', async () => {
    const { net, keeper } = setup(1000);
    await net.acquire('s1', 'k2', 1000);
    expect(await keeper.start()).toMatchObject({ ok: false, code: 'held_by_other', lease: { holder: 'k2' } });
    expect(keeper.isAuthoritative()).toBe(false);
    expect(await keeper.start()).toMatchObject({ ok: false, code: 'unavailable' });
    expect(net.inner.listenerCount).toBe(0);
  });

  test('observe applies a change the watch never delivered: a newer lease supersedes at once, older or identical news changes nothing', async () => {
    const { clock, net, keeper, losses } = setup(1000);
    net.deliverWatch = false;
    await keeper.start();
    const epoch = keeper.epoch;
    keeper.observe({ session_id: 's1', holder: 'k1', epoch, expires_at_ms: 5000 });
    keeper.observe({ session_id: 's1', holder: 'k0', epoch: epoch - 1, expires_at_ms: 5000 });
    keeper.observe({ session_id: 'another', holder: 'k2', epoch: epoch + 5, expires_at_ms: 5000 });
    expect(keeper.isAuthoritative(epoch)).toBe(true);
    expect(losses).toEqual([]);
    const moved = await net.transfer('s1', 'k2', 1000);
    expect(keeper.isAuthoritative()).toBe(true); // the watch was lost: the keeper cannot know yet
    if (!moved.ok) throw new Error(moved.message);
    keeper.observe(moved.value);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(losses).toEqual([['superseded', moved.value]]);
    keeper.observe(undefined);
    await runTo(clock, 5000);
    expect(losses).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  test('observe of a freed lease is a release; a keeper that never held ignores observe', async () => {
    const { net, keeper, losses } = setup(1000);
    keeper.observe(undefined);
    expect(losses).toEqual([]);
    net.deliverWatch = false;
    await keeper.start();
    await net.release('s1', keeper.epoch);
    keeper.observe(undefined);
    expect(keeper.isAuthoritative()).toBe(false);
    expect(losses).toEqual([['released', undefined]]);
  });

  test('rejects a TTL that is not a positive number', () => {
    const clock = new VirtualClock();
    const backend = new MemoryAuthority(clock);
    expect(() => new LeaseKeeper({ backend, clock, session_id: 's1', holder: 'k1', ttl_ms: 0, onLost: () => {} })).toThrow(RangeError);
  });
});
