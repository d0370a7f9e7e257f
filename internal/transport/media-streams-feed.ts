// The way into one session for events a media stream produces: each draft
// becomes an envelope in the session's ingress order, passes the session's
// own ingress gate (seq, epoch, audio format and size, the invalid-event
// count) and is handed to the session. A full lane holds the rest in order and
// retries on the clock; the bridge stops reading the socket meanwhile. It
// never drops, reorders or invents an event, and never reads a socket.
import {
  type AnyEnvelope,
  type IngressKind,
  type Payloads,
  anyEnvelope,
  encodeBinary,
} from '../../api/eventabi/index.js';
import type { Clock, TimerHandle } from '../determinism/clock.js';
import type { Metrics } from '../observe/metrics.js';
import type { Session } from '../session/session.js';

/** How soon a blocked ingest is retried; the session's lane bounds the total wait (max_block_ms). */
const BLOCKED_RETRY_MS = 2;

/** An Event ABI event before the gate gives it a place in the session's ingress order. */
export interface Draft<K extends IngressKind = IngressKind> {
  readonly kind: K;
  readonly payload: Payloads[K];
  readonly turn_id?: string;
  readonly media_ms?: number;
}

export interface SessionFeedOptions {
  session: Session;
  clock: Clock;
  metrics?: Metrics;
  /** A lane is full: stop reading the socket. */
  onBlocked: () => void;
  /** After `onBlocked`, everything queued went in: reading may resume. Called from the retry timer, never from inside `push`. */
  onFlowing: () => void;
  /** The gate or the session closed the stream (16 invalid events, session ended, Control lane stuck). */
  onClose: (code: number, reason: string) => void;
}

export class SessionFeed {
  private readonly queue: Draft[] = [];
  /** An event the gate accepted whose lane was full: it keeps its seq and is offered again. */
  private blocked: AnyEnvelope | undefined;
  private retryTimer: TimerHandle | undefined;
  private closed = false;
  private pumping = false;
  /** onBlocked was called and onFlowing not yet. */
  private stalled = false;
  private rejections = 0;

  constructor(private readonly opts: SessionFeedOptions) {}

  /** Drafts the session's gate rejected. */
  get rejected(): number {
    return this.rejections;
  }

  /** True while events wait for the session: frames after them must wait too, to keep their order. */
  get busy(): boolean {
    return this.queue.length > 0 || this.blocked !== undefined || this.retryTimer !== undefined;
  }

  push(draft: Draft): void {
    if (this.closed) return;
    this.queue.push(draft);
    if (!this.pumping && !this.blocked && !this.retryTimer) this.pump();
  }

  /** Drops what is queued (the stream is gone) and stops retrying. */
  dispose(): void {
    this.closed = true;
    this.opts.clock.clearTimer(this.retryTimer);
    this.retryTimer = undefined;
    this.queue.length = 0;
    this.blocked = undefined;
  }

  private pump(): void {
    this.pumping = true;
    try {
      this.drain();
    } finally {
      this.pumping = false;
    }
    if (this.stalled && !this.closed && !this.busy) {
      this.stalled = false;
      this.opts.onFlowing();
    }
  }

  private drain(): void {
    const { session } = this.opts;
    while (!this.closed) {
      let event = this.blocked;
      if (!event) {
        const draft = this.queue.shift();
        if (!draft) break;
        event = this.admit(session, draft);
        if (!event) continue;
      }
      const outcome = session.ingest(event);
      if (outcome.status === 'blocked') {
        this.blocked = event;
        if (!this.stalled) {
          this.stalled = true;
          this.opts.onBlocked();
        }
        this.retryTimer = this.opts.clock.setTimer(BLOCKED_RETRY_MS, () => {
          this.retryTimer = undefined;
          this.pump();
        });
        return;
      }
      this.blocked = undefined;
      if (outcome.status === 'closed') {
        this.close(outcome.code, outcome.reason);
        return;
      }
    }
  }

  /** The draft as an envelope through the session's ingress gate; undefined when the gate rejects it (recorded as an error). */
  private admit(session: Session, draft: Draft): AnyEnvelope | undefined {
    const seq = session.ingressSeq + 1;
    const envelope = anyEnvelope(draft.kind, draft.payload, { id: `m${seq}`, session_id: session.id, turn_id: draft.turn_id, epoch: session.epoch, seq, media_ms: draft.media_ms });
    const result = session.admit(encodeBinary(envelope), 'proto');
    if (result.ok) {
      this.opts.metrics?.ingressEvents.inc({ kind: result.event.kind, encoding: 'media_streams' });
      return result.event;
    }
    this.rejections += 1;
    this.opts.metrics?.ingressRejected.inc({ code: result.error.code });
    session.sendError(result.error.code, result.error.message, result.error.ref_id);
    if (result.close) this.close(result.close.code, result.close.reason);
    return undefined;
  }

  private close(code: number, reason: string): void {
    this.dispose();
    this.opts.onClose(code, reason);
  }
}
