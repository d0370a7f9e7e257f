// gRPC `baton.v1.Timelines`: exports a session's timeline (running, or ended
// here recently) from its first record, the file part then the memory window,
// as one ordered stream that follows the client's pace: it never reads ahead
// of what the client has taken, so a slow reader costs a bounded amount of
// memory. Replay arrives with the replay engine. It holds no state of its own.
import * as grpc from '@grpc/grpc-js';
import { MAX_ID_LENGTH } from '../../api/eventabi/validate.js';
import { loadControlPlane } from '../../api/controlplane/loader.js';
import type { TimelineRecord__Output } from '../../api/controlplane/generated/baton/v1/TimelineRecord.js';
import { type Logger, sessionLogger } from '../observe/logger.js';
import { ClosedTimelineError, exportClosedTimeline } from '../observe/timeline/closed.js';
import { TimelineUnavailableError } from '../observe/timeline/recorder.js';
import { TimelineFormatError } from '../observe/timeline/records.js';
import type { SessionManager } from '../session/manager.js';
import { ServiceError, type ServiceHandlers } from './grpc-server.js';

export interface TimelinesServiceOptions {
  sessions: SessionManager;
  logger?: Logger;
}

/** The side of a server stream the export writes to: grpc-js's ServerWritableStream satisfies it. */
export interface RecordSink {
  /** False once the transport's buffer is full; 'drain' follows when it has room again. */
  write(record: TimelineRecord__Output): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}

export const REPLAY_PENDING = 'ReplayTimeline is not implemented yet: timeline replay (baton replay and this method) arrives with the replay issue';

function requireField(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceError(grpc.status.INVALID_ARGUMENT, `${name} is required`);
  return value;
}

/** No session id is longer than the Event ABI allows, and a huge one must not be echoed into a status message. */
function requireSessionId(value: unknown): string {
  const session_id = requireField(value, 'session_id');
  if (session_id.length > MAX_ID_LENGTH) throw new ServiceError(grpc.status.INVALID_ARGUMENT, `session_id is longer than ${MAX_ID_LENGTH} characters`);
  return session_id;
}

/** Settles with `promise`, or rejects with the signal's reason as soon as it aborts. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function drained(sink: RecordSink, signal: AbortSignal): Promise<void> {
  let onDrain: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => {
    onDrain = resolve;
    sink.once('drain', onDrain);
  });
  return unlessAborted(waiting, signal).finally(() => sink.removeListener('drain', onDrain));
}

/**
 * Writes every record of `records` to `sink` in order, checking that indices
 * run 0, 1, 2, ... with no gap or repeat. A record is read only once the
 * previous one was taken by the transport (or it had room), so at most one
 * record is in hand beyond the transport's own bound. Stops when `signal`
 * aborts (client cancel, deadline), closing the source. Returns the count.
 */
export async function streamRecords(
  records: AsyncGenerator<Uint8Array>,
  sink: RecordSink,
  signal: AbortSignal,
  toObject: (bytes: Uint8Array) => TimelineRecord__Output,
): Promise<number> {
  let written = 0;
  try {
    for (;;) {
      const next = await unlessAborted(records.next(), signal);
      if (next.done) return written;
      const record = toObject(next.value);
      if (record.index !== written) {
        throw new ServiceError(grpc.status.DATA_LOSS, `timeline record ${record.index} came where record ${written} belongs; the timeline is damaged`);
      }
      written++;
      if (!sink.write(record)) await drained(sink, signal);
    }
  } finally {
    // Not awaited: a read still in flight (cancelled mid-wait) settles first, then the file closes.
    void records.return(undefined).catch(() => undefined);
  }
}

/** The status an export failure means for the client. */
function exportStatus(err: unknown, session_id: string): unknown {
  if (err instanceof ServiceError) return err;
  if (err instanceof ClosedTimelineError) {
    const status = { removed: grpc.status.NOT_FOUND, memory_only: grpc.status.FAILED_PRECONDITION, incomplete: grpc.status.DATA_LOSS }[err.kind];
    return new ServiceError(status, err.message);
  }
  if (err instanceof TimelineUnavailableError || err instanceof TimelineFormatError) {
    return new ServiceError(grpc.status.DATA_LOSS, `timeline of session ${session_id} cannot be exported from its start: ${err.message}`);
  }
  if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return new ServiceError(grpc.status.NOT_FOUND, `the timeline file of session ${session_id} no longer exists`);
  return err;
}

export function timelinesService(opts: TimelinesServiceOptions): ServiceHandlers {
  const exportMethod = loadControlPlane().grpcObject.baton.v1.Timelines.service.ExportTimeline;
  // The record bytes are already the wire encoding: proto-loader's own decoder gives exactly the object it re-encodes.
  const toObject = (bytes: Uint8Array): TimelineRecord__Output => exportMethod.responseDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

  return {
    ExportTimeline: {
      serverStream: async (ctx, req: { session_id: string }, call) => {
        const session_id = requireSessionId(req.session_id);
        const found = opts.sessions.lookup(ctx.tenant, session_id);
        if (!found) throw new ServiceError(grpc.status.NOT_FOUND, `no session ${session_id}`);
        try {
          const records = found.state === 'live' ? found.timeline.export() : exportClosedTimeline(await unlessAborted(found.ended.timeline, ctx.signal));
          await streamRecords(records, call, ctx.signal, toObject);
        } catch (err) {
          const mapped = exportStatus(err, session_id);
          if (mapped instanceof ServiceError && mapped.status === grpc.status.DATA_LOSS) {
            sessionLogger(opts.logger, session_id)?.warn({ err: mapped.message }, 'timeline export failed: evidence damaged or incomplete');
          }
          throw mapped;
        }
      },
    },
    ReplayTimeline: {
      clientStream: () => Promise.reject(new ServiceError(grpc.status.UNIMPLEMENTED, REPLAY_PENDING)),
    },
  };
}
