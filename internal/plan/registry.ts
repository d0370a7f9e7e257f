// The pipeline registry: validated, versioned, content-hashed specs per (tenant, name), plus the embedded ones; it never freezes plans and never grows without a cap.
import { canonicalize, sha256Hex } from './canonical.js';
import { EMBEDDED_PIPELINES } from './embedded.js';
import { deepFreeze } from './freeze.js';
import { validatePipelineSpec } from './validate.js';
import type { PipelineSpec, PipelineVersion } from './types.js';

/** `PipelineVersion.tenant` of the embedded pipelines; `publish` refuses it as a tenant name. */
export const EMBEDDED_TENANT = '';

export const REGISTRY_DEFAULTS = Object.freeze({
  maxVersionsPerPipeline: 32,
  maxPipelinesPerTenant: 1000,
  defaultPageSize: 50,
  maxPageSize: 500,
});

export interface RegistryOptions {
  /** The pipelines every tenant sees unless it publishes one of the same name; default `EMBEDDED_PIPELINES`. */
  embedded?: readonly PipelineSpec[];
  maxVersionsPerPipeline?: number;
  maxPipelinesPerTenant?: number;
}

export type PublishResult = { ok: true; version: PipelineVersion } | { ok: false; problems: string[] };

export interface ListRequest {
  /** 0 or absent: 50; larger than 500: 500. */
  page_size?: number;
  /** Empty or absent: the first page. */
  page_token?: string;
}

export type ListResult = { ok: true; pipelines: PipelineVersion[]; next_page_token: string } | { ok: false; problem: string };

interface Kept {
  readonly version: PipelineVersion;
  /** Live sessions running this version; a pinned version is never dropped. */
  pins: number;
}

/** Every kept version of one (tenant, name), oldest first. */
interface Lineage {
  readonly kept: Kept[];
  /** Next version number; never reused, even after old versions are dropped. */
  next: number;
}

const TOKEN_PREFIX = 'p1\u0000';

export class PipelineRegistry {
  private readonly tenants = new Map<string, Map<string, Lineage>>();
  private readonly embedded = new Map<string, Lineage>();
  private readonly maxVersions: number;
  private readonly maxPipelines: number;

  /** Throws if an embedded spec is invalid: that is a defect in Baton's build, not a run-time condition. */
  constructor(opts: RegistryOptions = {}) {
    this.maxVersions = Math.max(1, Math.floor(opts.maxVersionsPerPipeline ?? REGISTRY_DEFAULTS.maxVersionsPerPipeline));
    this.maxPipelines = Math.max(1, Math.floor(opts.maxPipelinesPerTenant ?? REGISTRY_DEFAULTS.maxPipelinesPerTenant));
    for (const raw of opts.embedded ?? EMBEDDED_PIPELINES) {
      const checked = validatePipelineSpec(raw);
      if (!checked.ok) throw new Error(`embedded pipeline is invalid: ${checked.problems.join('; ')}`);
      const spec = checked.spec;
      if (this.embedded.has(spec.name)) throw new Error(`embedded pipeline "${spec.name}" is listed twice`);
      this.embedded.set(spec.name, { kept: [{ version: makeVersion(EMBEDDED_TENANT, spec, '1'), pins: 0 }], next: 2 });
    }
  }

  /**
   * Validates and stores a spec as the next version of (tenant, spec.name).
   * A spec whose canonical hash equals the latest version's is not a new
   * version: the latest is returned, so retried publishes are idempotent.
   */
  publish(tenant: string, spec: unknown): PublishResult {
    if (typeof tenant !== 'string' || tenant === EMBEDDED_TENANT) return { ok: false, problems: ['tenant: required'] };
    const checked = validatePipelineSpec(spec);
    if (!checked.ok) return checked;
    const clean = checked.spec;
    const hash = specHash(clean);

    const own = this.tenants.get(tenant) ?? new Map<string, Lineage>();
    let lineage = own.get(clean.name);
    if (!lineage) {
      if (own.size >= this.maxPipelines) {
        return { ok: false, problems: [`name: tenant already has ${own.size} pipelines, the most it may keep`] };
      }
      lineage = { kept: [], next: 1 };
    }
    const latest = lineage.kept[lineage.kept.length - 1];
    if (latest && latest.version.hash === hash) return { ok: true, version: latest.version };
    if (lineage.kept.length >= this.maxVersions) {
      const drop = lineage.kept.findIndex((k) => k.pins === 0);
      if (drop < 0) {
        return {
          ok: false,
          problems: [`name: pipeline "${clean.name}" keeps at most ${this.maxVersions} versions and live sessions pin all of them`],
        };
      }
      lineage.kept.splice(drop, 1);
    }
    const version = makeVersion(tenant, clean, String(lineage.next));
    lineage.next += 1;
    lineage.kept.push({ version, pins: 0 });
    own.set(clean.name, lineage);
    this.tenants.set(tenant, own);
    return { ok: true, version };
  }

  /**
   * A version visible to the tenant: its own pipeline of that name, else the
   * embedded one. `version` absent or empty means the latest. A tenant's own
   * pipeline shadows the embedded one entirely, old version numbers included.
   */
  get(tenant: string, name: string, version?: string): PipelineVersion | undefined {
    const lineage = this.visible(tenant, name);
    if (!lineage) return undefined;
    if (version === undefined || version === '') return lineage.kept[lineage.kept.length - 1]?.version;
    return lineage.kept.find((k) => k.version.version === version)?.version;
  }

  /** Every kept version of the visible pipeline, oldest first. */
  versions(tenant: string, name: string): PipelineVersion[] {
    return this.visible(tenant, name)?.kept.map((k) => k.version) ?? [];
  }

  /**
   * The latest version of every pipeline the tenant sees, ordered by name.
   * The page token names the last pipeline returned, so pages stay consistent
   * while pipelines are published between calls.
   */
  list(tenant: string, request: ListRequest = {}): ListResult {
    const size = request.page_size ?? 0;
    if (!Number.isInteger(size) || size < 0) return { ok: false, problem: 'page_size: must be a non-negative integer' };
    const pageSize = size === 0 ? REGISTRY_DEFAULTS.defaultPageSize : Math.min(size, REGISTRY_DEFAULTS.maxPageSize);
    let after: string | undefined;
    if (request.page_token) {
      after = decodeToken(request.page_token);
      if (after === undefined) return { ok: false, problem: 'page_token: not a token this server issued' };
    }
    const names = new Set(this.embedded.keys());
    for (const name of this.tenants.get(tenant)?.keys() ?? []) names.add(name);
    const sorted = [...names].filter((name) => after === undefined || name > after).sort();
    const page = sorted.slice(0, pageSize);
    const pipelines = page.map((name) => this.get(tenant, name)!);
    const last = page[page.length - 1];
    const next_page_token = sorted.length > pageSize && last !== undefined ? encodeToken(last) : '';
    return { ok: true, pipelines, next_page_token };
  }

  /**
   * Counts a live session on a version so it is never dropped under it.
   * `hash` tells apart a tenant's own version from an embedded one with the
   * same name and number (a tenant may publish a shadowing pipeline while a
   * session still runs the embedded one); without it the tenant's own wins.
   * Embedded versions are never dropped, so pinning them only checks they exist.
   */
  pin(tenant: string, name: string, version: string, hash?: string): boolean {
    const own = this.ownKept(tenant, name, version, hash);
    if (own) {
      own.pins += 1;
      return true;
    }
    return this.embeddedKept(name, version, hash) !== undefined;
  }

  /** Releases one `pin`; returns false when there was no such pin. */
  unpin(tenant: string, name: string, version: string, hash?: string): boolean {
    const own = this.ownKept(tenant, name, version, hash);
    if (own && own.pins > 0) {
      own.pins -= 1;
      return true;
    }
    return this.embeddedKept(name, version, hash) !== undefined;
  }

  private visible(tenant: string, name: string): Lineage | undefined {
    return this.tenants.get(tenant)?.get(name) ?? this.embedded.get(name);
  }

  private ownKept(tenant: string, name: string, version: string, hash: string | undefined): Kept | undefined {
    return this.tenants
      .get(tenant)
      ?.get(name)
      ?.kept.find((k) => k.version.version === version && (hash === undefined || k.version.hash === hash));
  }

  private embeddedKept(name: string, version: string, hash: string | undefined): Kept | undefined {
    return this.embedded.get(name)?.kept.find((k) => k.version.version === version && (hash === undefined || k.version.hash === hash));
  }
}

/** Content hash of a validated spec: what `PipelineVersion.hash` is. */
export function specHash(spec: PipelineSpec): string {
  return sha256Hex(canonicalize(spec));
}

function makeVersion(tenant: string, spec: PipelineSpec, version: string): PipelineVersion {
  // Frozen so no caller can change a published version under the sessions that run it.
  return deepFreeze({ tenant, name: spec.name, version, hash: specHash(spec), spec });
}

function encodeToken(name: string): string {
  return Buffer.from(TOKEN_PREFIX + name, 'utf8').toString('base64url');
}

function decodeToken(token: string): string | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  // Re-encoding must give the token back: rejects padding, stray characters and lossy UTF-8.
  if (!text.startsWith(TOKEN_PREFIX) || encodeToken(text.slice(TOKEN_PREFIX.length)) !== token) return undefined;
  return text.slice(TOKEN_PREFIX.length);
}
