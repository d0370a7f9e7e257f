// Egress of one session: stamps each outgoing event (id, seq, epoch), applies
// the fence and epoch check at the last hop, records the frame's hash in the
// timeline and writes it to the attached stream. `seq` continues across
// reconnections. It never queues: pacing happens before an event gets here.
import { hash } from 'node:crypto';
import { type AnyEnvelope, type EgressKind, type Payloads, encodeBinary, encodeJson, envelope } from '../../api/eventabi/index.js';
import type { Clock } from '../determinism/clock.js';
import type { EgressFence } from '../fence/fence.js';
import type { Metrics } from '../observe/metrics.js';

/** Where a session's egress goes: one gateway connection. */
export interface EgressSink {
  readonly encoding: 'proto' | 'json';
  write(frame: Uint8Array | string, event: AnyEnvelope): void;
  close(code: number, reason: string): void;
  /** False while the transport holds more unsent bytes than its bound; producers then wait. Absent: always writable. */
  readonly writable?: boolean;
  /** Calls `resume` once the transport can take more. */
  onceWritable?(resume: () => void): void;
}

export interface EgressAuthority {
  isAuthoritative(): boolean;
  /** The epoch this kernel holds or last held for the session (stamped on every event). */
  heldEpoch(): number;
}

export interface EgressRecorder {
  egress(event: AnyEnvelope, canonical: Uint8Array, sha256: Buffer): void;
  egressRefused(event: AnyEnvelope, reason: string): void;
}

export interface SessionEgressOptions {
  session_id: string;
  clock: Clock;
  fence: EgressFence;
  authority: EgressAuthority;
  recorder: EgressRecorder;
  metrics?: Metrics;
  /** Observers of every event that passed the last hop (WatchSession, tests). */
  onSent?: (event: AnyEnvelope) => void;
  /** The transport started (`xoff`) or stopped (`xon`) holding producers back. */
  onBackpressure?: (state: 'xoff' | 'xon') => void;
}

export type SendResult = { sent: true; event: AnyEnvelope } | { sent: false; reason: string };

export class SessionEgress {
  private seq = 0;
  private sink: EgressSink | undefined;
  /** Producers waiting for the transport to drain. */
  private readonly held = new Set<() => void>();

  constructor(private readonly opts: SessionEgressOptions) {}

  get lastSeq(): number {
    return this.seq;
  }

  get attached(): boolean {
    return this.sink !== undefined;
  }

  attach(sink: EgressSink): EgressSink | undefined {
    const previous = this.sink;
    this.sink = sink;
    if (previous !== sink) this.releaseWaiters();
    return previous;
  }

  detach(sink?: EgressSink): void {
    if (!sink || this.sink === sink) {
      this.sink = undefined;
      // Nothing is written without a sink: producers held by the old one go on (the fence and pacer still bound them).
      this.releaseWaiters();
    }
  }

  /** Whether output may be produced now: false while the attached transport is over its bound. */
  get writable(): boolean {
    return this.sink?.writable ?? true;
  }

  /**
   * Holds a producer until the transport drains. The hold and its release are
   * recorded once per episode (`egress_xoff`/`egress_xon`), not per waiter.
   */
  whenWritable(resume: () => void): void {
    const sink = this.sink;
    if (!sink?.onceWritable || sink.writable !== false) {
      queueMicrotask(resume);
      return;
    }
    this.held.add(resume);
    if (this.held.size > 1) return;
    this.opts.onBackpressure?.('xoff');
    sink.onceWritable(() => {
      if (this.sink === sink) this.releaseWaiters();
    });
  }

  private releaseWaiters(): void {
    if (this.held.size === 0) return;
    const waiters = [...this.held];
    this.held.clear();
    this.opts.onBackpressure?.('xon');
    for (const resume of waiters) resume();
  }

  close(code: number, reason: string): void {
    const sink = this.sink;
    this.sink = undefined;
    this.held.clear();
    sink?.close(code, reason);
  }

  /**
   * Sends one event of `turn_id` ('' for session events). The fence decides
   * whether it may pass: a fenced turn, a turn that is not the one speaking,
   * or a lost lease refuse it here, at the last hop.
   */
  send<K extends EgressKind>(kind: K, payload: Payloads[K], turn_id: string, media_ms = 0): SendResult {
    const draft = envelope(kind, payload, { session_id: this.opts.session_id, turn_id, epoch: this.opts.authority.heldEpoch(), media_ms });
    const event = draft as unknown as AnyEnvelope;
    const verdict = this.opts.fence.egressVerdict(event, this.opts.authority);
    if (!verdict.ok) {
      this.opts.metrics?.egressFenced.inc({ reason: verdict.reason });
      this.opts.recorder.egressRefused(event, verdict.reason);
      return { sent: false, reason: verdict.reason };
    }
    this.seq += 1;
    draft.seq = this.seq;
    draft.id = `k${this.seq}`;
    const canonical = encodeBinary(event);
    // One-shot hashing: no Hash object per frame (this runs for every frame a kernel sends).
    const sha256 = hash('sha256', canonical, 'buffer');
    this.opts.recorder.egress(event, canonical, sha256);
    this.opts.metrics?.egressEvents.inc({ kind });
    const sink = this.sink;
    if (sink) sink.write(sink.encoding === 'proto' ? canonical : encodeJson(event), event);
    this.opts.onSent?.(event);
    return { sent: true, event };
  }

  /** Sends an event that belongs to no turn. */
  sendSessionEvent<K extends EgressKind>(kind: K, payload: Payloads[K]): SendResult {
    return this.send(kind, payload, '');
  }
}
