// A session timeline after its session ended: the closed file and the number of records it must hold. It keeps no records in memory and never writes.
import { readTimelineFrames } from './reader.js';
import { type TimelineRecorder, TimelineUnavailableError } from './recorder.js';

export interface ClosedTimeline {
  readonly session_id: string;
  /** The timeline file; undefined when there is none (memory-only recorder, or the file never opened). */
  readonly path: string | undefined;
  /** Records the session appended, all of which the file must hold. */
  readonly records: number;
  /** Why the file is not the complete timeline, when it is not. */
  readonly problem: { readonly kind: 'memory_only' | 'incomplete'; readonly message: string } | undefined;
}

/**
 * Why a closed timeline cannot be read: kept in memory only and gone with its
 * session (`memory_only`), written short or corrupt (`incomplete`), or its file
 * was removed after the session ended (`removed`).
 */
export class ClosedTimelineError extends TimelineUnavailableError {
  constructor(
    readonly kind: 'memory_only' | 'incomplete' | 'removed',
    message: string,
  ) {
    super(message);
  }
}

/** Closes the recorder (its window goes to the file too) and describes what the file holds. Never rejects. */
export async function closeTimeline(recorder: TimelineRecorder): Promise<ClosedTimeline> {
  await recorder.close();
  const { session_id, filePath: path, length: records } = recorder;
  const { sinkError, flushedRecords } = recorder.stats;
  let problem: ClosedTimeline['problem'];
  if (sinkError !== undefined) problem = { kind: 'incomplete', message: `timeline file of ${session_id} is incomplete: ${sinkError}` };
  else if (path === undefined) problem = { kind: 'memory_only', message: `the timeline of ${session_id} was kept in memory only and ended with its session` };
  else if (flushedRecords !== records) problem = { kind: 'incomplete', message: `timeline file ${path} holds ${flushedRecords} of ${records} records` };
  return { session_id, path, records, problem };
}

/**
 * Every record of a closed timeline, as encoded TimelineRecord bytes in index
 * order, streamed from its file a chunk at a time. Rejects with
 * ClosedTimelineError when the file is missing, shorter or longer than the
 * session left it, and with TimelineFormatError when its bytes are corrupt.
 */
export async function* exportClosedTimeline(closed: ClosedTimeline): AsyncGenerator<Uint8Array> {
  if (closed.problem) throw new ClosedTimelineError(closed.problem.kind, closed.problem.message);
  const path = closed.path!;
  let read = 0;
  const frames = readTimelineFrames(path);
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await frames.next();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ClosedTimelineError('removed', `timeline file ${path} no longer exists`);
        throw err;
      }
      if (next.done) break;
      if (read === closed.records) {
        throw new ClosedTimelineError('incomplete', `timeline file ${path} holds more than the ${closed.records} records its session wrote`);
      }
      read++;
      yield next.value;
    }
  } finally {
    // A consumer that stops early (a cancelled export) must not leave the file open.
    await frames.return(undefined);
  }
  if (read < closed.records) throw new ClosedTimelineError('incomplete', `timeline file ${path} holds ${read} of ${closed.records} records`);
}
