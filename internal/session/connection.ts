// A session's connection lifetime: at most one gateway stream attached; a
// new one replaces the old (closed 4002); without a stream the active turn
// aborts after the reconnect grace and the session ends after its idle time.
// It owns those two timers and nothing else: what happens when they fire is
// the session's.
import { CLOSE_CODES } from '../../api/eventabi/index.js';
import type { Clock, TimerHandle } from '../determinism/clock.js';
import type { EgressSink, SessionEgress } from './egress.js';

export interface ConnectionLifetimeOptions {
  clock: Clock;
  egress: SessionEgress;
  reconnectGraceMs: number;
  idleMs: number;
  /** No stream came back within the reconnect grace. */
  onGraceExpired: () => void;
  /** No stream for the session's idle time. */
  onIdle: () => void;
}

export class ConnectionLifetime {
  private graceTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private lost = false;

  constructor(private readonly opts: ConnectionLifetimeOptions) {
    this.armIdleTimer();
  }

  /** True once the reconnect grace passed without a stream, until one attaches. */
  get transportLost(): boolean {
    return this.lost;
  }

  get attached(): boolean {
    return this.opts.egress.attached;
  }

  /** Attaches a stream; the one it replaces, if any, is closed 4002. */
  attach(sink: EgressSink): void {
    const previous = this.opts.egress.attach(sink);
    previous?.close(CLOSE_CODES.replaced, 'replaced by a newer connection');
    this.clearTimers();
    this.lost = false;
  }

  /** A stream went away (possibly an older one, late): the timers run only when none is attached. */
  detach(sink: EgressSink): void {
    this.opts.egress.detach(sink);
    if (this.opts.egress.attached) return;
    const { clock } = this.opts;
    // A late close of an older connection must not leave a second grace timer behind.
    clock.clearTimer(this.graceTimer);
    this.graceTimer = clock.setTimer(this.opts.reconnectGraceMs, () => {
      this.graceTimer = undefined;
      this.lost = true;
      this.opts.onGraceExpired();
    });
    this.armIdleTimer();
  }

  /** The session ended: no timer may fire after it. */
  stop(): void {
    this.clearTimers();
  }

  private armIdleTimer(): void {
    const { clock } = this.opts;
    clock.clearTimer(this.idleTimer);
    this.idleTimer = clock.setTimer(this.opts.idleMs, () => {
      this.idleTimer = undefined;
      if (!this.opts.egress.attached) this.opts.onIdle();
    });
  }

  private clearTimers(): void {
    this.opts.clock.clearTimer(this.graceTimer);
    this.opts.clock.clearTimer(this.idleTimer);
    this.graceTimer = this.idleTimer = undefined;
  }
}
