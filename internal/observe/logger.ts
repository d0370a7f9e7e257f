// The one pino root logger and its child loggers. Personal data (transcripts,
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

/** A logger bound to one session (and, when given, one turn). */
export function sessionLogger(root: Logger, session_id: string, epoch?: number, turn_id?: string): Logger {
  const bindings: Record<string, string | number> = { session_id };
  if (epoch !== undefined) bindings['epoch'] = epoch;
  if (turn_id) bindings['turn_id'] = turn_id;
  return root.child(bindings);
}
