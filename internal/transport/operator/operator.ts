// The read-only operator page on the kernel's HTTP port (DESIGN 5.3, 12): the
// static page under /operator/ and its JSON under /v1/operator/ (live
// sessions of the caller's tenant, and any session's timeline). It answers
// with bounded JSON, authenticates every JSON request with a tenant key and
// never shows a key, a transcript or audio. It changes nothing in the kernel.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_ID_LENGTH } from '../../../api/eventabi/validate.js';
import { type Tenants, bearerToken } from '../../tenancy/tenants.js';
import type { Logger } from '../../observe/logger.js';
import { exportClosedTimeline } from '../../observe/timeline/index.js';
import type { KnownSession } from '../../session/manager.js';
import type { Session } from '../../session/session.js';
import { type SessionSummary, summarize } from './sessions-view.js';
import { type StaticFile, loadStaticFiles, locateStaticDir } from './static-files.js';
import { type TimelineItem, buildPage, fileRecords, findTimelineFile, liveRecords, readable, skipRecords } from './timeline-view.js';

/** Live sessions one list answer carries, newest first. */
export const MAX_LISTED_SESSIONS = 200;
export const DEFAULT_PAGE_ITEMS = 2000;
export const MAX_PAGE_ITEMS = 5000;
/** Records one timeline page may read; audio runs make many records one item. */
export const MAX_PAGE_RECORDS = 20_000;

const SESSIONS_PATH = '/v1/operator/sessions';
const TIMELINE_PATH = /^\/v1\/operator\/sessions\/([^/]+)\/timeline$/;
const PAGE_PREFIX = '/operator/';

/** What the page reads from the session manager. */
export interface OperatorSessions {
  all(): Iterable<Session>;
  lookup(tenant: string, session_id: string): KnownSession | undefined;
}

export interface OperatorOptions {
  sessions: OperatorSessions;
  tenants: Tenants;
  /** Where closed timelines are (the kernel's timeline_dir): sessions the manager no longer remembers are found there. */
  timelineDir?: string;
  wallNow: () => number;
  logger?: Logger;
  /** The page's files; found beside the module when omitted. */
  staticDir?: string;
}

export interface SessionsAnswer {
  tenant: string;
  now_ms: number;
  total: number;
  truncated: boolean;
  sessions: SessionSummary[];
}

export interface TimelineAnswer {
  session_id: string;
  live: boolean;
  from: number;
  /** The first index this answer could start at (above `from` when older records were discarded). */
  first_available: number;
  next: number;
  done: boolean;
  /** Records the timeline holds so far (live), or all its session wrote (ended here). */
  records?: number;
  problem?: string;
  items: TimelineItem[];
}

type Query = URLSearchParams;

class HttpError extends Error {
  constructor(
    readonly status: 400 | 401 | 404 | 410,
    readonly code: 'invalid_argument' | 'unauthenticated' | 'not_found' | 'unavailable',
    message: string,
  ) {
    super(message);
  }
}

// The page loads only its own files and talks only to this origin.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
} as const;

export class OperatorPage {
  private readonly files: ReadonlyMap<string, StaticFile>;

  constructor(private readonly opts: OperatorOptions) {
    const dir = opts.staticDir ?? locateStaticDir();
    this.files = dir ? loadStaticFiles(dir) : new Map();
    if (!this.files.has('index.html')) opts.logger?.warn({ dir }, 'operator page files not found; /operator/ answers 404, the JSON API still works');
  }

  /** The route hook for createKernelHttpServer: true when the request was the operator's. */
  readonly route = (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    if (path === '/operator') {
      res.writeHead(308, { location: PAGE_PREFIX, 'cache-control': 'no-store' });
      res.end();
      return true;
    }
    if (path.startsWith(PAGE_PREFIX)) {
      this.serveFile(req, res, path.slice(PAGE_PREFIX.length) || 'index.html');
      return true;
    }
    if (path !== '/v1/operator' && !path.startsWith('/v1/operator/')) return false;
    const query = new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1));
    this.answer(req, path, query).then(
      (body) => sendJson(res, 200, body),
      (err: unknown) => {
        if (err instanceof HttpError) {
          sendJson(res, err.status, { error: { code: err.code, message: err.message } }, err.status === 401 ? { 'www-authenticate': 'Bearer realm="baton-operator"' } : {});
          return;
        }
        this.opts.logger?.error({ err, path }, 'operator request failed');
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, { error: { code: 'internal', message: 'the operator request failed; see the kernel log' } });
      },
    );
    return true;
  };

  private async answer(req: IncomingMessage, path: string, query: Query): Promise<SessionsAnswer | TimelineAnswer> {
    const tenant = this.authenticate(req, query);
    if (path === SESSIONS_PATH) return this.sessionsOf(tenant);
    const match = TIMELINE_PATH.exec(path);
    if (match) return this.timeline(tenant, sessionIdFrom(match[1]!), query);
    throw new HttpError(404, 'not_found', `no operator endpoint ${path}; see docs/operator.md`);
  }

  private authenticate(req: IncomingMessage, query: Query): string {
    const token = bearerToken(req.headers.authorization) ?? query.get('token') ?? undefined;
    if (!token) throw new HttpError(401, 'unauthenticated', 'missing credentials: send the tenant key as "Authorization: Bearer <key>" or ?token=');
    const tenant = this.opts.tenants.tenantForKey(token);
    if (!tenant) throw new HttpError(401, 'unauthenticated', 'unknown key: the operator page takes a tenant key');
    return tenant;
  }

  private sessionsOf(tenant: string): SessionsAnswer {
    const mine: Session[] = [];
    for (const session of this.opts.sessions.all()) if (session.tenant === tenant && !session.ended) mine.push(session);
    mine.sort((a, b) => b.created_at_ms - a.created_at_ms || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const shown = mine.slice(0, MAX_LISTED_SESSIONS).map((session) => {
      const known = this.opts.sessions.lookup(tenant, session.id);
      return summarize(session, known?.state === 'live' ? known.timeline : undefined);
    });
    return { tenant, now_ms: Math.round(this.opts.wallNow()), total: mine.length, truncated: mine.length > shown.length, sessions: shown };
  }

  private async timeline(tenant: string, session_id: string, query: Query): Promise<TimelineAnswer> {
    const from = integerParam(query, 'from', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = integerParam(query, 'limit', DEFAULT_PAGE_ITEMS, 1, MAX_PAGE_ITEMS);
    const limits = { maxItems: limit, maxRecords: MAX_PAGE_RECORDS };
    const known = this.opts.sessions.lookup(tenant, session_id);
    if (known?.state === 'live') {
      const { firstAvailable, records } = liveRecords(known.timeline, from);
      const page = await buildPage(records, firstAvailable, limits);
      return { session_id, live: true, from, first_available: firstAvailable, records: known.timeline.length, ...page };
    }
    if (known?.state === 'ended') {
      const closed = await known.ended.timeline;
      if (closed.problem?.kind === 'memory_only' || closed.path === undefined) {
        throw new HttpError(410, 'unavailable', closed.problem?.message ?? `the timeline of ${session_id} was not written to disk`);
      }
      if (!(await readable(closed.path))) throw new HttpError(410, 'unavailable', `the timeline file of ${session_id} no longer exists`);
      // An incomplete file is still worth showing up to where it stops; the answer says why it stops.
      const records = closed.problem ? fileRecords(closed.path, from) : skipRecords(exportClosedTimeline(closed), from);
      const page = await buildPage(records, from, limits);
      return { session_id, live: false, from, first_available: from, records: closed.records, ...page, ...(closed.problem && !page.problem ? { problem: closed.problem.message } : {}) };
    }
    // Sessions this kernel no longer remembers (an earlier process, or past the manager's cap) may still be on disk.
    const path = this.opts.timelineDir ? await findTimelineFile(this.opts.timelineDir, session_id, tenant) : undefined;
    if (!path) throw new HttpError(404, 'not_found', `no session "${session_id}" with a timeline for this tenant`);
    const page = await buildPage(fileRecords(path, from), from, limits);
    return { session_id, live: false, from, first_available: from, ...page };
  }

  private serveFile(req: IncomingMessage, res: ServerResponse, name: string): void {
    const file = this.files.get(name);
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end('not found\n');
      return;
    }
    // no-cache: the browser revalidates with the ETag, so a kernel upgrade never serves a stale page.
    const headers = { ...PAGE_HEADERS, etag: file.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-type': file.contentType, 'content-length': file.body.length });
    res.end(file.body);
  }
}

/** The hook createKernelHttpServer takes as `routes`. */
export function operatorRoutes(opts: OperatorOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return new OperatorPage(opts).route;
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...extra,
  });
  res.end(text);
}

function sessionIdFrom(segment: string): string {
  let id: string;
  try {
    id = decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'invalid_argument', 'session id is not valid percent-encoding');
  }
  // eslint-disable-next-line no-control-regex
  if (id.length === 0 || id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id)) {
    throw new HttpError(400, 'invalid_argument', `session id must be 1 to ${MAX_ID_LENGTH} printable characters`);
  }
  return id;
}

function integerParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^[0-9]{1,16}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new HttpError(400, 'invalid_argument', `${name} must be an integer from ${min} to ${max} (got "${raw.slice(0, 32)}")`);
  }
  return Number(raw);
}
