// The pipeline registry: validated, versioned, content-hashed specs per (tenant, name), plus the embedded ones; it never freezes plans and never grows without a cap.
import { decodePageToken, encodePageToken } from '../paging/page-token.js';
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
  /** UTF-8 bytes of one spec's canonical form. */
  maxSpecBytes: 1 << 20,
  /** UTF-8 bytes of every kept version of every pipeline of one tenant, canonical form. */
  maxBytesPerTenant: 64 << 20,
  defaultPageSize: 50,
  maxPageSize: 500,
});

export interface RegistryOptions {
  /** The pipelines every tenant sees unless it publishes one of the same name; default `EMBEDDED_PIPELINES`. */
  embedded?: readonly PipelineSpec[];
  maxVersionsPerPipeline?: number;
  maxPipelinesPerTenant?: number;
  maxSpecBytes?: number;
  maxBytesPerTenant?: number;
}

export type PublishResult = { ok: true; version: PipelineVersion } | { ok: false; problems: string[] };

/**
 * Why a publish stored nothing. `invalid_spec` is the spec's own fault (the
 * problems list every one); the others are the registry's state or policy, so
 * a caller can map them to different statuses.
 */
export type PublishRefusal = 'invalid_spec' | 'reserved_name' | 'too_many_pipelines' | 'versions_pinned' | 'tenant_bytes';

/** `created` is false when the spec equals the latest version's and that version was returned. */
export type PublishOutcome = { ok: true; version: PipelineVersion; created: boolean } | { ok: false; refusal: PublishRefusal; problems: string[] };

export interface PublishOptions {
  /**
   * Refuse the names of embedded pipelines (`reserved_name`) instead of letting
   * the tenant's own pipeline shadow the embedded one. The control plane sets
   * it: an operator who wants another `demo` publishes it under another name.
   */
  reserveEmbeddedNames?: boolean;
}

export interface ListRequest {
  /** 0 or absent: 50; larger than 500: 500. */
  page_size?: number;
  /** Empty or absent: the first page. */
  page_token?: string;
}

export type ListResult = { ok: true; pipelines: PipelineVersion[]; next_page_token: string } | { ok: false; problem: string };

interface Kept {
  readonly version: PipelineVersion;
  /** UTF-8 bytes of the canonical spec, counted against the tenant's byte cap. */
  readonly bytes: number;
  /** Live sessions running this version; a pinned version is never dropped. */
  pins: number;
}

/** Every kept version of one (tenant, name), oldest first. */
interface Lineage {
  readonly kept: Kept[];
  /** Next version number; never reused, even after old versions are dropped. */
  next: number;
}

export class PipelineRegistry {
  private readonly tenants = new Map<string, Map<string, Lineage>>();
  private readonly embedded = new Map<string, Lineage>();
  /** Bytes kept per tenant; a tenant with no pipelines has no entry. */
  private readonly tenantBytes = new Map<string, number>();
  private readonly maxVersions: number;
  private readonly maxPipelines: number;
  private readonly maxSpecBytes: number;
  private readonly maxTenantBytes: number;

  /** Throws if an embedded spec is invalid: that is a defect in Baton's build, not a run-time condition. */
  constructor(opts: RegistryOptions = {}) {
    this.maxVersions = Math.max(1, Math.floor(opts.maxVersionsPerPipeline ?? REGISTRY_DEFAULTS.maxVersionsPerPipeline));
    this.maxPipelines = Math.max(1, Math.floor(opts.maxPipelinesPerTenant ?? REGISTRY_DEFAULTS.maxPipelinesPerTenant));
    this.maxSpecBytes = Math.max(1, Math.floor(opts.maxSpecBytes ?? REGISTRY_DEFAULTS.maxSpecBytes));
    this.maxTenantBytes = Math.max(1, Math.floor(opts.maxBytesPerTenant ?? REGISTRY_DEFAULTS.maxBytesPerTenant));
    for (const raw of opts.embedded ?? EMBEDDED_PIPELINES) {
      const checked = validatePipelineSpec(raw);
      if (!checked.ok) throw new Error(`embedded pipeline is invalid: ${checked.problems.join('; ')}`);
      const spec = checked.spec;
      if (this.embedded.has(spec.name)) throw new Error(`embedded pipeline "${spec.name}" is listed twice`);
      const canonical = canonicalize(spec);
      this.embedded.set(spec.name, { kept: [{ version: makeVersion(EMBEDDED_TENANT, spec, '1', canonical), bytes: utf8Bytes(canonical), pins: 0 }], next: 2 });
    }
  }

  /**
   * Validates and stores a spec as the next version of (tenant, spec.name).
   * A spec whose canonical hash equals the latest version's is not a new
   * version: the latest is returned, so retried publishes are idempotent.
   * Embedded names may be shadowed; `publishVersion` says more about refusals.
   */
  publish(tenant: string, spec: unknown): PublishResult {
    const outcome = this.publishVersion(tenant, spec);
    return outcome.ok ? { ok: true, version: outcome.version } : { ok: false, problems: outcome.problems };
  }

  /**
   * `publish` with the reason of a refusal, `created`, and options. Checks run
   * in this order and the first failing one decides: the spec (every problem
   * listed), the name's reservation, the tenant's pipeline count, the
   * pipeline's version cap (the oldest version no live session pins is
   * dropped to make room), the tenant's byte cap. A refusal changes nothing.
   */
  publishVersion(tenant: string, spec: unknown, options: PublishOptions = {}): PublishOutcome {
    if (typeof tenant !== 'string' || tenant === EMBEDDED_TENANT) return { ok: false, refusal: 'invalid_spec', problems: ['tenant: required'] };
    const checked = validatePipelineSpec(spec);
    if (!checked.ok) return { ok: false, refusal: 'invalid_spec', problems: checked.problems };
    const clean = checked.spec;
    const canonical = canonicalize(clean);
    const bytes = utf8Bytes(canonical);
    if (bytes > this.maxSpecBytes) {
      return { ok: false, refusal: 'invalid_spec', problems: [`spec: its canonical form is ${bytes} bytes, more than the ${this.maxSpecBytes} a pipeline may have`] };
    }
    if (options.reserveEmbeddedNames && this.embedded.has(clean.name)) {
      return { ok: false, refusal: 'reserved_name', problems: [`name: "${clean.name}" is an embedded pipeline's name, which tenants cannot publish over`] };
    }
    const hash = sha256Hex(canonical);

    const own = this.tenants.get(tenant) ?? new Map<string, Lineage>();
    let lineage = own.get(clean.name);
    if (!lineage) {
      if (own.size >= this.maxPipelines) {
        return { ok: false, refusal: 'too_many_pipelines', problems: [`name: tenant already has ${own.size} pipelines, the most it may keep`] };
      }
      lineage = { kept: [], next: 1 };
    }
    const latest = lineage.kept[lineage.kept.length - 1];
    if (latest && latest.version.hash === hash) return { ok: true, version: latest.version, created: false };
    let drop = -1;
    if (lineage.kept.length >= this.maxVersions) {
      drop = lineage.kept.findIndex((k) => k.pins === 0);
      if (drop < 0) {
        return {
          ok: false,
          refusal: 'versions_pinned',
          problems: [`name: pipeline "${clean.name}" keeps at most ${this.maxVersions} versions and live sessions pin all of them`],
        };
      }
    }
    const used = this.tenantBytes.get(tenant) ?? 0;
    const freed = drop >= 0 ? lineage.kept[drop]!.bytes : 0;
    if (used - freed + bytes > this.maxTenantBytes) {
      return {
        ok: false,
        refusal: 'tenant_bytes',
        problems: [`spec: tenant keeps ${used} bytes of pipelines; ${bytes} more would pass its cap of ${this.maxTenantBytes}`],
      };
    }
    if (drop >= 0) lineage.kept.splice(drop, 1);
    const version = makeVersion(tenant, clean, String(lineage.next), canonical);
    lineage.next += 1;
    lineage.kept.push({ version, bytes, pins: 0 });
    own.set(clean.name, lineage);
    this.tenants.set(tenant, own);
    this.tenantBytes.set(tenant, used - freed + bytes);
    return { ok: true, version, created: true };
  }

  /** Whether `name` is an embedded pipeline's (every tenant sees it). */
  isEmbedded(name: string): boolean {
    return this.embedded.has(name);
  }

  /** UTF-8 bytes the tenant's kept versions take, as counted against `maxBytesPerTenant`. */
  bytesOf(tenant: string): number {
    return this.tenantBytes.get(tenant) ?? 0;
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
    const position = decodePageToken('pipelines', request.page_token ?? '');
    if (!position.ok) return { ok: false, problem: 'page_token: not a token this server issued' };
    const after = position.after;
    const names = new Set(this.embedded.keys());
    for (const name of this.tenants.get(tenant)?.keys() ?? []) names.add(name);
    const sorted = [...names].filter((name) => after === undefined || name > after).sort();
    const page = sorted.slice(0, pageSize);
    const pipelines = page.map((name) => this.get(tenant, name)!);
    const last = page[page.length - 1];
    const next_page_token = sorted.length > pageSize && last !== undefined ? encodePageToken('pipelines', last) : '';
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

function makeVersion(tenant: string, spec: PipelineSpec, version: string, canonical: string): PipelineVersion {
  // Frozen so no caller can change a published version under the sessions that run it.
  return deepFreeze({ tenant, name: spec.name, version, hash: sha256Hex(canonical), spec });
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

