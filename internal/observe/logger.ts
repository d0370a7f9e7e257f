// The one pino root logger and the session and turn loggers every line about
// a session goes through (one spelling of its bindings). Personal data (transcripts,
// audio, user text) never goes into a message: only under the `pii` key, which
// redaction removes (docs/operations.md). `keepPii` exists for local tests only;
// `baton serve` never sets it.
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Keep `pii` fields (local debugging only). */
  keepPii?: boolean;
  destination?: pino.DestinationStream;
}

export function createRootLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: 'baton' },
      redact: opts.keepPii ? [] : { paths: ['pii', '*.pii'], remove: true },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ dest: 2, sync: false }),
  );
}

/**
 * The one spelling of a session's log bindings: every line about a session
 * carries `session_id`, and `epoch` once the session holds one (0 means none
 * is held, so it is left out rather than logged as if it were a lease).
 * Without a root logger there is nothing to bind, and nothing is logged.
 */
export function sessionLogger(root: Logger, session_id: string, epoch?: number, turn_id?: string): Logger;
export function sessionLogger(root: Logger | undefined, session_id: string, epoch?: number, turn_id?: string): Logger | undefined;
export function sessionLogger(root: Logger | undefined, session_id: string, epoch?: number, turn_id?: string): Logger | undefined {
  if (!root) return undefined;
  const bindings: Record<string, string | number> = { session_id };
  if (epoch) bindings['epoch'] = epoch;
  if (turn_id) bindings['turn_id'] = turn_id;
  return root.child(bindings);
}

/** A session logger narrowed to one of its turns: the turn's lines keep the session's bindings and add `turn_id`. */
export function turnLogger(session: Logger, turn_id: string): Logger;
export function turnLogger(session: Logger | undefined, turn_id: string): Logger | undefined;
export function turnLogger(session: Logger | undefined, turn_id: string): Logger | undefined {
  return session?.child({ turn_id });
}
