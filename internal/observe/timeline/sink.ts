// Owns one session's timeline file: batched, ordered, off-loop appends with bounded pending bytes; it never throws to its caller, never blocks the event loop and never overwrites an existing file.
import { createHash } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const HEX_MAX_BYTES = 100;

/**
 * The file name for a session id. Ids already made of `[A-Za-z0-9_.-]` and
 * starting with a letter or digit are used as they are; any other id is
 * hex-encoded behind `_` (raw ids cannot start with `_`, so the two never
 * collide), and ids too long to hex-encode within file name limits become
 * `__` + SHA-256. The result never contains a path separator or `..` segment.
 */
export function timelineFileName(session_id: string): string {
  if (SAFE_ID.test(session_id)) return `${session_id}.timeline`;
  const utf8 = Buffer.from(session_id, 'utf8');
  if (utf8.length <= HEX_MAX_BYTES) return `_${utf8.toString('hex')}.timeline`;
  return `__${createHash('sha256').update(utf8).digest('hex')}.timeline`;
}

/** File names tried in turn when earlier ones exist: evidence is never overwritten or interleaved. */
export function candidateName(base: string, attempt: number): string {
  return attempt === 0 ? base : base.replace(/\.timeline$/, `~${attempt}.timeline`);
}

/** How many names the sink tries for one session id before giving up: `x.timeline`, `x~1.timeline`, ... */
export const MAX_NAME_ATTEMPTS = 100;
/** Upper bound on one write call, so a large backlog is written in several steps. */
const MAX_WRITE_BYTES = 1024 * 1024;
/**
 * Records wait at most this long for company before they are written. Every
 * streaming session appends ~100 records a second; writing each session's
 * trickle on every loop turn cost thousands of small writes a second at a few
 * hundred sessions (7% of a loaded kernel's CPU in profiles).
 */
export const FLUSH_INTERVAL_MS = 25;
/** A backlog this large is written at once, without waiting for the interval. */
export const FLUSH_BYTES = 64 * 1024;

interface Waiter {
  count: number;
  resolve: () => void;
}

export class FileSink {
  /** Bytes accepted but not yet confirmed written (queued or in flight). */
  pendingBytes = 0;
  writtenRecords = 0;
  writtenBytes = 0;
  /** Records accepted after (or lost to) a sink failure: they exist nowhere. */
  lostRecords = 0;
  /** The first failure, e.g. "EACCES: permission denied, open '...'"; the sink writes nothing after it. */
  error: string | undefined;
  /** The file actually opened (a `~N` suffix when the plain name existed); undefined until open. */
  path: string | undefined;

  private queue: Uint8Array[] = [];
  private handle: FileHandle | undefined;
  private readonly opened: Promise<void>;
  private writing = false;
  private scheduled = false;
  private timer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private idle: (() => void)[] = [];
  private waiters: Waiter[] = [];

  constructor(
    private readonly dir: string,
    private readonly fileName: string,
  ) {
    this.opened = this.open();
  }

  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Queues one length-delimited record. Returns false (and counts it lost) once the sink has failed or closed. */
  enqueue(frame: Uint8Array): boolean {
    if (this.error !== undefined || this.closing) {
      this.lostRecords++;
      return false;
    }
    this.queue.push(frame);
    this.pendingBytes += frame.length;
    this.schedule();
    return true;
  }

  /** Resolves once `count` records are on disk, or the sink has failed (check `error`). */
  whenWritten(count: number): Promise<void> {
    if (this.writtenRecords >= count || this.error !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Writes everything queued, then closes the file. Idempotent; never rejects. */
  close(): Promise<void> {
    this.closing ??= this.finish();
    return this.closing;
  }

  private async finish(): Promise<void> {
    await this.opened;
    if (this.writing || this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        this.idle.push(resolve);
        this.schedule();
      });
    }
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await handle.close().catch((err: unknown) => this.fail(err));
  }

  private async open(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
      for (let attempt = 0; attempt < MAX_NAME_ATTEMPTS; attempt++) {
        const path = join(this.dir, candidateName(this.fileName, attempt));
        try {
          this.handle = await open(path, 'wx');
          this.path = path;
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      throw new Error(`EEXIST: ${MAX_NAME_ATTEMPTS} timeline files for this session already exist in ${this.dir}`);
    } catch (err) {
      this.fail(err);
    }
  }

  // Small appends wait up to FLUSH_INTERVAL_MS so they leave in one write; a
  // backlog of FLUSH_BYTES, or a close, is written on the next loop turn.
  private schedule(): void {
    if (this.writing || this.scheduled) return;
    if (this.pendingBytes < FLUSH_BYTES && !this.closing) {
      if (this.timer) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.drain();
      }, FLUSH_INTERVAL_MS);
      // Pending records never keep a process alive: close() writes them.
      this.timer.unref();
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    await this.opened;
    while (this.queue.length > 0 && this.error === undefined && this.handle) {
      let size = 0;
      let n = 0;
      while (n < this.queue.length && (n === 0 || size + this.queue[n]!.length <= MAX_WRITE_BYTES)) size += this.queue[n++]!.length;
      const batch = Buffer.concat(this.queue.slice(0, n), size);
      try {
        for (let off = 0; off < batch.length; ) {
          const { bytesWritten } = await this.handle.write(batch, off, batch.length - off);
          off += bytesWritten;
        }
      } catch (err) {
        this.fail(err);
        break;
      }
      this.queue.splice(0, n);
      this.pendingBytes -= size;
      this.writtenRecords += n;
      this.writtenBytes += size;
      this.notify();
      // What arrived during the write is small: let it gather with what comes next.
      if (this.pendingBytes < FLUSH_BYTES && !this.closing) break;
    }
    this.writing = false;
    if (this.queue.length > 0 && this.error === undefined && this.handle) this.schedule();
    if (this.error !== undefined || !this.handle) this.dropQueue();
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private fail(err: unknown): void {
    if (this.error === undefined) {
      const e = err as NodeJS.ErrnoException;
      this.error = e?.message ?? String(err);
    }
    this.dropQueue();
    // Give the descriptor back: nothing more will be written through it.
    const handle = this.handle;
    this.handle = undefined;
    if (handle) void handle.close().catch(() => undefined);
    this.notify();
  }

  private dropQueue(): void {
    this.lostRecords += this.queue.length;
    this.queue = [];
    this.pendingBytes = 0;
    if (!this.writing) for (const resolve of this.idle.splice(0)) resolve();
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const failed = this.error !== undefined;
    this.waiters = this.waiters.filter((w) => {
      if (!failed && this.writtenRecords < w.count) return true;
      w.resolve();
      return false;
    });
  }
}
