// Node budgets count working time only: holds stop the budget running down, nest, and cost no extra timers when brief.
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../determinism/clock.js';
import { WorkDeadline, abortable, sleep } from './deadline.js';

describe('WorkDeadline', () => {
  it('expires once, exactly at its budget', () => {
    const clock = new VirtualClock();
    const expired: number[] = [];
    new WorkDeadline(clock, 100, () => expired.push(clock.now()));
    clock.advance(1000);
    expect(expired).toEqual([100]);
    expect(clock.pending).toBe(0);
  });

  it('time held does not count, and holds nest', () => {
    const clock = new VirtualClock();
    const expired: number[] = [];
    const deadline = new WorkDeadline(clock, 100, () => expired.push(clock.now()));
    clock.advance(40);
    deadline.hold();
    deadline.hold();
    clock.advance(500);
    expect(deadline.remaining()).toBe(60);
    deadline.release();
    clock.advance(500);
    expect(expired).toEqual([]);
    deadline.release();
    clock.advance(1000);
    // 40 ms worked, then 1000 ms held, then the last 60 ms.
    expect(expired).toEqual([1100]);
  });

  it('is overrun only while working past its budget: a timer due at the same instant that runs first sees it, held or stopped time never does', () => {
    const clock = new VirtualClock();
    const seen: boolean[] = [];
    // Armed before the deadline, so at 100 it runs first, as the turn's active budget does.
    clock.setTimer(100, () => seen.push(deadline.overrun));
    const deadline = new WorkDeadline(clock, 100, () => seen.push(deadline.overrun));
    clock.advance(50);
    expect(deadline.overrun).toBe(false);
    clock.advance(50);
    // The other timer saw it working with no budget left; once its own timer expired it is stopped.
    expect(seen).toEqual([true, false]);
    const held = new WorkDeadline(clock, 10, () => undefined);
    held.hold();
    clock.advance(500);
    expect(held.overrun).toBe(false);
    const stopped = new WorkDeadline(clock, 10, () => undefined);
    stopped.stop();
    clock.advance(500);
    expect(stopped.overrun).toBe(false);
  });

  it('a stopped deadline never fires', () => {
    const clock = new VirtualClock();
    let fired = false;
    const deadline = new WorkDeadline(clock, 10, () => {
      fired = true;
    });
    deadline.stop();
    clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pending).toBe(0);
  });
});

describe('abortable waits', () => {
  it('sleep resolves on the clock and rejects with the reason on abort, leaving no timer', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    let done = false;
    const slept = sleep(clock, 50, controller.signal).then(() => {
      done = true;
    });
    clock.advance(49);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await slept;
    expect(done).toBe(true);

    const cut = sleep(clock, 50, controller.signal);
    controller.abort('stop');
    await expect(cut).rejects.toBe('stop');
    expect(clock.pending).toBe(0);
  });

  it('abortable stops waiting on a promise that never settles', async () => {
    const controller = new AbortController();
    const waiting = abortable(new Promise<never>(() => undefined), controller.signal);
    controller.abort('cancelled');
    await expect(waiting).rejects.toBe('cancelled');
  });
});
