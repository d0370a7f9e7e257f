// Cancel scopes and the egress fence of one session. A cancel closes the fence
// of its turn synchronously; from then on `egressVerdict` refuses that turn's
// output at the last hop before the socket, and refuses everything but the
// stop events once this kernel no longer holds authority. It never emits, it
// only decides.
import type { AnyEnvelope, Kind } from '../../api/eventabi/kinds.js';

export type CancelScope = 'session' | 'turn' | 'node';

export type EgressVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: 'late_after_cancel' | 'stale_epoch' | 'turn_closed' };

/** Control events that tell a gateway to stop: they pass a closed fence and a lost lease. */
const STOP_KINDS: ReadonlySet<Kind> = new Set<Kind>(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended', 'error']);

/** Kinds that belong to one turn's output and are refused once that turn is fenced or closed. */
const TURN_OUTPUT_KINDS: ReadonlySet<Kind> = new Set<Kind>(['audio.out', 'transcript', 'output.end', 'turn.committed', 'turn.active']);

interface FenceEntry {
  fencedAt: number;
  closedAt: number | undefined;
}

export interface AuthorityView {
  /** True while this kernel holds the session's lease and its local deadline has not passed. */
  isAuthoritative(): boolean;
}

/**
 * The fence registry of one session. Entries live until their turn closes plus
 * `tailMs`, then `sweep` removes them; a session has at most one open turn, so
 * the registry holds a handful of entries however many turns run.
 */
export class EgressFence {
  private readonly entries = new Map<string, FenceEntry>();
  private sessionFencedAt: number | undefined;
  private lateDrops = 0;
  private lastSweep = 0;

  constructor(private readonly tailMs = 5000) {}

  /** Closes the fence of `turn_id`. Returns false when it was already closed (cancel is idempotent). */
  fenceTurn(turn_id: string, now: number): boolean {
    if (this.entries.has(turn_id)) return false;
    this.entries.set(turn_id, { fencedAt: now, closedAt: undefined });
    return true;
  }

  /** Fences the whole session: every turn, present and future. */
  fenceSession(now: number): boolean {
    if (this.sessionFencedAt !== undefined) return false;
    this.sessionFencedAt = now;
    return true;
  }

  isFenced(turn_id: string): boolean {
    return this.sessionFencedAt !== undefined || this.entries.has(turn_id);
  }

  get sessionFenced(): boolean {
    return this.sessionFencedAt !== undefined;
  }

  /** Marks a turn closed; its entry (if any) goes after the tail. Unfenced closed turns need no entry. */
  turnClosed(turn_id: string, now: number): void {
    const entry = this.entries.get(turn_id);
    if (entry) entry.closedAt = now;
    // Sweeping is O(entries); doing it at most once per tail keeps closes O(1) amortized.
    if (now - this.lastSweep >= this.tailMs || this.entries.size > 64) this.sweep(now);
  }

  /** Removes entries of turns closed more than `tailMs` ago. */
  sweep(now: number): void {
    this.lastSweep = now;
    for (const [turn_id, entry] of this.entries) {
      if (entry.closedAt !== undefined && now - entry.closedAt >= this.tailMs) this.entries.delete(turn_id);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get lateAfterCancel(): number {
    return this.lateDrops;
  }

  /**
   * The last-hop check for one outgoing event. `openTurn` is the session's
   * turn that may still speak (undefined when none is open).
   */
  egressVerdict(event: AnyEnvelope, openTurn: string | undefined, authority: AuthorityView): EgressVerdict {
    const stop = STOP_KINDS.has(event.kind);
    if (!stop && !authority.isAuthoritative()) return { ok: false, reason: 'stale_epoch' };
    if (!event.turn_id || stop || !TURN_OUTPUT_KINDS.has(event.kind)) return { ok: true };
    if (this.isFenced(event.turn_id)) {
      this.lateDrops++;
      return { ok: false, reason: 'late_after_cancel' };
    }
    if (event.turn_id !== openTurn) return { ok: false, reason: 'turn_closed' };
    return { ok: true };
  }
}
