// baton:state (DESIGN 11.1): each session's JSON values kept across its turns, loaded before a script runs and committed, bounded and epoch-guarded, only when it succeeded; it never decides whether an invocation succeeded.
import type { StateValue } from './script-tier.js';

export const STATE_KEY_MAX_CHARS = 128;
export const STATE_MAX_BYTES_PER_SESSION = 64 * 1024;

export type StateSnapshot = Readonly<Record<string, StateValue>>;

/** baton:state writes of one invocation: a value is a put, `undefined` removes the key. */
export type StateWrites = Readonly<Record<string, StateValue | undefined>>;

export type StateCommit =
  | { readonly ok: true }
  /** `execution`: the writes break a bound (the script's fault); `stale_epoch`: another kernel owns the session now. */
  | { readonly ok: false; readonly code: 'execution' | 'stale_epoch'; readonly message: string };

/**
 * One interface for the memory store here and the etcd store of the etcd
 * issue. `epoch` is the session's lease epoch: a commit carrying an epoch
 * older than one already committed is refused, so a kernel that lost the
 * session can never overwrite what its successor wrote.
 */
export interface SessionStateStore {
  load(session_id: string): Promise<StateSnapshot>;
  commit(session_id: string, epoch: number, writes: StateWrites): Promise<StateCommit>;
  /** The session ended: its state may go. */
  drop(session_id: string): Promise<void>;
}

const utf8 = new TextEncoder();

/** Whether `value` is plain JSON (finite numbers, arrays, plain objects), without cycles. */
function isJson(value: unknown, seen: Set<object>): boolean {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object') return false;
  if (seen.has(value)) return false;
  seen.add(value);
  const ok = Array.isArray(value)
    ? value.every((item) => isJson(item, seen))
    : Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every((item) => isJson(item, seen));
  seen.delete(value);
  return ok;
}

/**
 * Applies `writes` to `current` within the bounds of DESIGN 11.1, or says
 * which bound they break. Shared by every store, so the etcd store refuses
 * exactly what the memory store refuses.
 */
export function applyStateWrites(current: StateSnapshot, writes: StateWrites): { ok: true; next: Record<string, StateValue>; bytes: number } | { ok: false; message: string } {
  const next: Record<string, StateValue> = Object.assign(Object.create(null) as Record<string, StateValue>, current);
  for (const key of Object.keys(writes)) {
    if (key.length > STATE_KEY_MAX_CHARS) return { ok: false, message: `baton:state key of ${key.length} characters is over the ${STATE_KEY_MAX_CHARS}-character limit` };
    const value = writes[key];
    if (value === undefined) {
      delete next[key];
      continue;
    }
    if (!isJson(value, new Set())) return { ok: false, message: `baton:state value for key ${JSON.stringify(key)} is not a JSON value` };
    next[key] = value;
  }
  const bytes = utf8.encode(JSON.stringify(next)).length;
  if (bytes > STATE_MAX_BYTES_PER_SESSION) {
    return { ok: false, message: `baton:state of this session would be ${bytes} bytes, over the ${STATE_MAX_BYTES_PER_SESSION}-byte (64 KiB) limit per session` };
  }
  return { ok: true, next, bytes };
}

/** A deep, frozen copy: a snapshot handed out can never be changed by its reader, nor by a later commit. */
function frozenCopy(snapshot: Record<string, StateValue>): StateSnapshot {
  return Object.freeze(JSON.parse(JSON.stringify(snapshot)) as Record<string, StateValue>);
}

/** The single-kernel store: state lives as long as the session on this kernel. */
export class MemoryStateStore implements SessionStateStore {
  private readonly sessions = new Map<string, { epoch: number; state: StateSnapshot }>();

  async load(session_id: string): Promise<StateSnapshot> {
    return this.sessions.get(session_id)?.state ?? EMPTY;
  }

  async commit(session_id: string, epoch: number, writes: StateWrites): Promise<StateCommit> {
    const kept = this.sessions.get(session_id);
    if (kept && epoch < kept.epoch) {
      return { ok: false, code: 'stale_epoch', message: `baton:state commit at epoch ${epoch} refused: epoch ${kept.epoch} already wrote this session's state` };
    }
    if (Object.keys(writes).length === 0) return { ok: true };
    const applied = applyStateWrites(kept?.state ?? EMPTY, writes);
    if (!applied.ok) return { ok: false, code: 'execution', message: applied.message };
    this.sessions.set(session_id, { epoch, state: frozenCopy(applied.next) });
    return { ok: true };
  }

  async drop(session_id: string): Promise<void> {
    this.sessions.delete(session_id);
  }

  /** Sessions with state kept (for tests and metrics). */
  get size(): number {
    return this.sessions.size;
  }
}

const EMPTY: StateSnapshot = Object.freeze({});
