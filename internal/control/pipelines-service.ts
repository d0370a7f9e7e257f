// gRPC `baton.v1.Pipelines`: publishes, reads and lists pipeline versions in the pipeline registry for the caller's tenant. It holds no state and adds no spec rules of its own (internal/plan validates).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../observe/logger.js';
import { specFromWire } from '../plan/sources.js';
import type { PipelineRegistry, PublishRefusal } from '../plan/registry.js';
import type { PipelineVersion } from '../plan/types.js';
import { PIPELINE_NAME_PATTERN } from '../plan/validate.js';
import { ServiceError, type ServiceHandlers } from './grpc-server.js';
import { problemsMessage } from './status-message.js';

export interface PipelinesServiceOptions {
  registry: PipelineRegistry;
  /** Receives one line per version published (tenant, name, version, hash; never the spec). */
  logger?: Logger;
}

const REFUSAL_STATUS: Readonly<Record<PublishRefusal, grpc.status>> = {
  invalid_spec: grpc.status.INVALID_ARGUMENT,
  reserved_name: grpc.status.PERMISSION_DENIED,
  too_many_pipelines: grpc.status.RESOURCE_EXHAUSTED,
  versions_pinned: grpc.status.RESOURCE_EXHAUSTED,
  tenant_bytes: grpc.status.RESOURCE_EXHAUSTED,
};

const VERSION_PATTERN = /^[1-9][0-9]{0,15}$/;

/** `PipelineVersion` as the wire has it: the tenant is the caller's and never sent back. */
function versionMessage(version: PipelineVersion): { name: string; version: string; hash: string } {
  return { name: version.name, version: version.version, hash: version.hash };
}

function pipelineName(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new ServiceError(grpc.status.INVALID_ARGUMENT, 'name is required');
  if (!PIPELINE_NAME_PATTERN.test(value)) {
    throw new ServiceError(grpc.status.INVALID_ARGUMENT, `name ${JSON.stringify(value.slice(0, 80))} is not a pipeline name (expected ${PIPELINE_NAME_PATTERN.source.slice(1, -1)})`);
  }
  return value;
}

export function pipelinesService(opts: PipelinesServiceOptions): ServiceHandlers {
  return {
    PublishPipeline: {
      unary: (ctx, req: { spec: unknown }) => {
        if (req.spec === null || req.spec === undefined) throw new ServiceError(grpc.status.INVALID_ARGUMENT, 'spec is required');
        const outcome = opts.registry.publishVersion(ctx.tenant, specFromWire(req.spec), { reserveEmbeddedNames: true });
        if (!outcome.ok) {
          const lead = outcome.refusal === 'invalid_spec' ? `invalid pipeline spec (${outcome.problems.length} problem${outcome.problems.length === 1 ? '' : 's'}): ` : '';
          throw new ServiceError(REFUSAL_STATUS[outcome.refusal], problemsMessage(lead, outcome.problems));
        }
        const { version } = outcome;
        if (outcome.created) opts.logger?.info({ tenant: ctx.tenant, pipeline: version.name, version: version.version, hash: version.hash }, 'pipeline published');
        return versionMessage(version);
      },
    },
    GetPipeline: {
      unary: (ctx, req: { name: string; version: string }) => {
        const name = pipelineName(req.name);
        const wanted = req.version ?? '';
        if (wanted !== '' && !VERSION_PATTERN.test(wanted)) {
          throw new ServiceError(grpc.status.INVALID_ARGUMENT, `version ${JSON.stringify(wanted.slice(0, 40))} is not a version number (decimal, from "1"; empty for the latest)`);
        }
        const version = opts.registry.get(ctx.tenant, name, wanted);
        if (!version) {
          const kept = opts.registry.versions(ctx.tenant, name);
          if (kept.length === 0) throw new ServiceError(grpc.status.NOT_FOUND, `no pipeline "${name}"`);
          throw new ServiceError(grpc.status.NOT_FOUND, `pipeline "${name}" has no version ${wanted} (kept: ${kept.map((v) => v.version).join(', ')})`);
        }
        return { version: versionMessage(version), spec: version.spec };
      },
    },
    ListPipelines: {
      unary: (ctx, req: { page_size: number; page_token: string }) => {
        const listed = opts.registry.list(ctx.tenant, { page_size: req.page_size ?? 0, page_token: req.page_token ?? '' });
        if (!listed.ok) throw new ServiceError(grpc.status.INVALID_ARGUMENT, listed.problem);
        return { pipelines: listed.pipelines.map(versionMessage), next_page_token: listed.next_page_token };
      },
    },
  };
}
