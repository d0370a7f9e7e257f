// Cancel scopes and the egress fence of one session. Opening a turn's output
// gives its cancel scope; cancelling the scope records why, closes the fence
// and aborts the scope's signal in one synchronous call. From then on
// `egressVerdict` refuses that turn's output at the last hop before the
// socket, refuses output of any turn but the one that may speak, and refuses
// everything but the stop events once this kernel no longer holds authority.
// It never emits, it only decides.
import type { AnyEnvelope, Kind } from '../../api/eventabi/kinds.js';
import type { AbortReason } from '../../api/eventabi/vocabulary.js';

export type CancelScopeKind = 'session' | 'turn' | 'node';

export type EgressVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: 'late_after_cancel' | 'stale_epoch' | 'turn_closed' };

/** Control events that tell a gateway to stop: they pass a closed fence and a lost lease. */
const STOP_KINDS: ReadonlySet<Kind> = new Set<Kind>(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended', 'error']);

/** Kinds that belong to one turn's output and are refused once that turn is fenced or closed. */
const TURN_OUTPUT_KINDS: ReadonlySet<Kind> = new Set<Kind>(['audio.out', 'transcript', 'output.end', 'turn.committed', 'turn.active']);

/** The reason a scope's signal carries when its turn closed normally: shared, since a DOMException per turn is measurable churn. */
const TURN_CLOSED = new Error('turn closed');

export interface AuthorityView {
  /** True while this kernel holds the session's lease and its local deadline has not passed. */
  isAuthoritative(): boolean;
}

/** One accepted cancel, as the fence reports it before it takes effect. */
export interface FenceClosing {
  readonly scope: CancelScopeKind;
  /** The fenced turn; '' when a session fence found no turn speaking. */
  readonly turn_id: string;
  /** The fenced node, for a node scope. */
  readonly node_id?: string;
  readonly reason: string;
  readonly detail: Readonly<Record<string, string>>;
}

export interface EgressFenceOptions {
  /** Fence entries of closed turns are kept this long, then swept. */
  readonly tailMs?: number;
  /** The session's clock, for the tail. */
  readonly now: () => number;
  /**
   * Called once per accepted cancel, before the fence closes or any signal
   * aborts: the decision is on the timeline before any of its effects.
   */
  readonly onClosing: (closing: FenceClosing) => void;
}

interface FenceEntry {
  closedAt: number | undefined;
}

/**
 * Why a turn scope's signal aborted. `reason` goes to the gateway
 * (`output.clear`), `abort_reason` ends the turn (`turn.aborted`).
 */
export interface TurnCancellation {
  readonly reason: string;
  readonly abort_reason: AbortReason;
}

/**
 * The cancel scope of one node invocation inside a turn: it aborts with its
 * turn, or alone (a node call cancelled without its turn, which is not
 * fenced by it). Node tiers stop through its signal only.
 */
export class NodeCancelScope {
  private readonly controller = new AbortController();

  constructor(
    readonly turn_id: string,
    readonly node_id: string,
    parent: AbortSignal,
    private readonly fence: EgressFence,
  ) {
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener('abort', () => this.controller.abort(parent.reason), { once: true, signal: this.controller.signal });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Cancels this node call only; true the first time (recorded before the signal aborts). */
  cancel(reason: string): boolean {
    if (this.controller.signal.aborted) return false;
    this.fence.reportClosing({ scope: 'node', turn_id: this.turn_id, node_id: this.node_id, reason, detail: {} });
    this.controller.abort(new Error(`node ${this.node_id} cancelled: ${reason}`));
    return true;
  }
}

/** The cancel scope of one turn's output, from its opening to its close. */
export class TurnCancelScope {
  private readonly controller = new AbortController();
  private cancellation: TurnCancellation | undefined;

  constructor(
    readonly turn_id: string,
    private readonly fence: EgressFence,
  ) {}

  /**
   * Aborts when the turn is cancelled (its reason is then a
   * `TurnCancellation`) or when it closes: the turn runtime and the node
   * calls subscribe to it.
   */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True once the turn's output is fenced (by its own cancel or by a session fence). */
  get fenced(): boolean {
    return this.fence.isFenced(this.turn_id);
  }

  /** How the turn was cancelled, once it was. */
  get cancelled(): TurnCancellation | undefined {
    return this.cancellation;
  }

  /**
   * Cancels the turn: the decision is reported, the fence closes and the
   * signal aborts, in this order and in this call. True only the first time;
   * a repeated cancel changes and records nothing.
   */
  cancel(reason: string, opts: { scope?: 'session' | 'turn'; detail?: Readonly<Record<string, string>>; abort_reason?: AbortReason } = {}): boolean {
    if (this.cancellation || this.controller.signal.aborted) return false;
    this.fence.reportClosing({ scope: opts.scope ?? 'turn', turn_id: this.turn_id, reason, detail: opts.detail ?? {} });
    this.abortWith({ reason, abort_reason: opts.abort_reason ?? 'cancelled' });
    return true;
  }

  /** A node invocation's scope inside this turn. */
  node(node_id: string): NodeCancelScope {
    return new NodeCancelScope(this.turn_id, node_id, this.controller.signal, this.fence);
  }

  /** The turn closed: nothing of it may speak any more; its node calls stop. */
  close(): void {
    this.fence.turnClosed(this.turn_id);
    if (!this.controller.signal.aborted) this.controller.abort(TURN_CLOSED);
  }

  /** @internal Closes the fence and aborts, without reporting (the session fence reported already). */
  abortWith(cancellation: TurnCancellation): boolean {
    if (this.cancellation || this.controller.signal.aborted) return false;
    this.cancellation = cancellation;
    this.fence.closeTurn(this.turn_id);
    this.controller.abort(cancellation);
    return true;
  }
}

/**
 * The fence registry of one session. Entries live until their turn closes plus
 * `tailMs`, then a sweep removes them; a session has at most one open turn, so
 * the registry holds a handful of entries however many turns run.
 */
export class EgressFence {
  private readonly entries = new Map<string, FenceEntry>();
  private readonly tailMs: number;
  private sessionFencedAt: number | undefined;
  /** The turn whose output may reach the gateway now. */
  private speaking: TurnCancelScope | undefined;
  private lateDrops = 0;
  private lastSweep = 0;

  constructor(private readonly opts: EgressFenceOptions) {
    this.tailMs = opts.tailMs ?? 5000;
  }

  /** Opens a turn's output: it becomes the one turn that may speak, and its scope is how it is cancelled. */
  openTurn(turn_id: string): TurnCancelScope {
    const scope = new TurnCancelScope(turn_id, this);
    this.speaking = scope;
    return scope;
  }

  /**
   * Fences the whole session, every turn present and future (authority
   * lost): reported, closed, then the speaking turn's signal aborts. True
   * the first time.
   */
  fenceSession(reason: string, detail: Readonly<Record<string, string>> = {}, abort_reason: AbortReason = 'authority_lost'): boolean {
    if (this.sessionFencedAt !== undefined) return false;
    const turn = this.speaking && !this.speaking.cancelled && !this.speaking.signal.aborted ? this.speaking : undefined;
    this.reportClosing({ scope: 'session', turn_id: turn?.turn_id ?? '', reason, detail });
    this.sessionFencedAt = this.opts.now();
    turn?.abortWith({ reason, abort_reason });
    return true;
  }

  /** The turn that may speak now, if any. */
  get speakingTurn(): string | undefined {
    return this.speaking?.turn_id;
  }

  isFenced(turn_id: string): boolean {
    return this.sessionFencedAt !== undefined || this.entries.has(turn_id);
  }

  get sessionFenced(): boolean {
    return this.sessionFencedAt !== undefined;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Output refused because its turn was fenced: late node output after a cancel. */
  get lateAfterCancel(): number {
    return this.lateDrops;
  }

  /** @internal The scopes report through here so the order (record, close, abort) is the fence's, not each caller's. */
  reportClosing(closing: FenceClosing): void {
    this.opts.onClosing(closing);
  }

  /** @internal */
  closeTurn(turn_id: string): void {
    if (!this.entries.has(turn_id)) this.entries.set(turn_id, { closedAt: undefined });
  }

  /** @internal A turn closed: it no longer speaks; its fence entry (if any) goes after the tail. */
  turnClosed(turn_id: string): void {
    const now = this.opts.now();
    if (this.speaking?.turn_id === turn_id) this.speaking = undefined;
    const entry = this.entries.get(turn_id);
    if (entry) entry.closedAt = now;
    // Sweeping is O(entries); doing it at most once per tail keeps closes O(1) amortized.
    if (now - this.lastSweep >= this.tailMs || this.entries.size > 64) this.sweep(now);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [turn_id, entry] of this.entries) {
      if (entry.closedAt !== undefined && now - entry.closedAt >= this.tailMs) this.entries.delete(turn_id);
    }
  }

  /** The last-hop check for one outgoing event. */
  egressVerdict(event: AnyEnvelope, authority: AuthorityView): EgressVerdict {
    const stop = STOP_KINDS.has(event.kind);
    if (!stop && !authority.isAuthoritative()) return { ok: false, reason: 'stale_epoch' };
    if (!event.turn_id || stop || !TURN_OUTPUT_KINDS.has(event.kind)) return { ok: true };
    if (this.isFenced(event.turn_id)) {
      this.lateDrops++;
      return { ok: false, reason: 'late_after_cancel' };
    }
    if (event.turn_id !== this.speaking?.turn_id) return { ok: false, reason: 'turn_closed' };
    return { ok: true };
  }
}
