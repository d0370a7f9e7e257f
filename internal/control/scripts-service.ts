// gRPC `baton.v1.Scripts`: puts, reads, lists and deletes the caller's tenant's scripts in the script registry. It maps enums and problem codes to the wire and holds no state; every rule lives in internal/nodes/registry.
import * as grpc from '@grpc/grpc-js';
import { formatProblem, type ScriptProblem, type ScriptProblemCode } from '../nodes/registry/problems.js';
import { type ScriptKind, scriptNameProblems } from '../nodes/registry/names.js';
import { InlineAnalyzer, type ScriptAnalyzer } from '../nodes/registry/analyzer.js';
import type { ScriptError, ScriptRegistry, StoredScript } from '../nodes/registry/store.js';
import type { Logger } from '../observe/logger.js';
import { ServiceError, type ServiceHandlers } from './grpc-server.js';
import { problemsMessage } from './status-message.js';

export interface ScriptsServiceOptions {
  scripts: ScriptRegistry;
  /** Where sources are parsed; the kernel passes a WorkerAnalyzer so no parse runs on its event loop. Default: inline. */
  analyzer?: ScriptAnalyzer;
  /** Receives one line per script stored or deleted (tenant, name, kind, hash; never the source). */
  logger?: Logger;
}

const KIND_FROM_WIRE: Readonly<Record<string, ScriptKind>> = { SCRIPT_KIND_NODE: 'node', SCRIPT_KIND_MODULE: 'module' };
const KIND_TO_WIRE: Readonly<Record<ScriptKind, string>> = { node: 'SCRIPT_KIND_NODE', module: 'SCRIPT_KIND_MODULE' };

const CODE_STATUS: Readonly<Record<ScriptProblemCode, grpc.status>> = {
  invalid_name: grpc.status.INVALID_ARGUMENT,
  invalid_kind: grpc.status.INVALID_ARGUMENT,
  invalid_source: grpc.status.INVALID_ARGUMENT,
  invalid_syntax: grpc.status.INVALID_ARGUMENT,
  invalid_module: grpc.status.INVALID_ARGUMENT,
  unresolved_import: grpc.status.INVALID_ARGUMENT,
  import_cycle: grpc.status.INVALID_ARGUMENT,
  import_too_deep: grpc.status.INVALID_ARGUMENT,
  not_found: grpc.status.NOT_FOUND,
  in_use: grpc.status.FAILED_PRECONDITION,
  quota_exceeded: grpc.status.RESOURCE_EXHAUSTED,
  analysis_unavailable: grpc.status.RESOURCE_EXHAUSTED,
};

/** `ScriptVersion` on the wire. */
function versionMessage(script: StoredScript): { name: string; hash: string; imports: string[] } {
  return { name: script.name, hash: script.hash, imports: [...script.imports] };
}

function failure(error: ScriptError, name: unknown): ServiceError {
  const problems = error.problems.map((problem: ScriptProblem) =>
    // The store speaks of its own kinds; the wire has the enum.
    problem.code === 'invalid_kind' ? 'kind: must be SCRIPT_KIND_NODE or SCRIPT_KIND_MODULE' : formatProblem(problem),
  );
  const status = CODE_STATUS[error.code];
  // Refusals of the source list their problems after a count; the others are one sentence that names the script already.
  let lead = '';
  if (status === grpc.status.INVALID_ARGUMENT) {
    const which = typeof name === 'string' && scriptNameProblems(name).length === 0 ? `script ${JSON.stringify(name)}` : 'script';
    lead = `${which} refused (${problems.length} problem${problems.length === 1 ? '' : 's'}): `;
  }
  return new ServiceError(status, problemsMessage(lead, problems));
}

function scriptName(value: unknown): string {
  const problems = scriptNameProblems(value);
  if (problems.length > 0) throw new ServiceError(grpc.status.INVALID_ARGUMENT, problems.join('; '));
  return value as string;
}

export function scriptsService(opts: ScriptsServiceOptions): ServiceHandlers {
  const analyzer = opts.analyzer ?? new InlineAnalyzer(opts.scripts.limits);
  return {
    PutScript: {
      unary: async (ctx, req: { name: string; kind: unknown; source: string }) => {
        const kind = typeof req.kind === 'string' ? KIND_FROM_WIRE[req.kind] : undefined;
        const request = { name: req.name, kind, source: req.source };
        // The parse runs on the analyzer; linking and storing run here, against the store as it is when the analysis is back.
        const analyzed = kind !== undefined && opts.scripts.needsAnalysis(ctx.tenant, request) ? await analyzer.analyze(kind, req.source, ctx.signal) : undefined;
        const put = opts.scripts.put(ctx.tenant, request, analyzed);
        if (!put.ok) throw failure(put.error, req.name);
        if (put.created) opts.logger?.info({ tenant: ctx.tenant, script: put.script.name, kind: put.script.kind, hash: put.script.hash }, 'script stored');
        return versionMessage(put.script);
      },
    },
    GetScript: {
      unary: (ctx, req: { name: string }) => {
        const name = scriptName(req.name);
        const script = opts.scripts.get(ctx.tenant, name);
        if (!script) throw new ServiceError(grpc.status.NOT_FOUND, `no script ${JSON.stringify(name)}`);
        return { version: versionMessage(script), kind: KIND_TO_WIRE[script.kind], source: script.source };
      },
    },
    ListScripts: {
      unary: (ctx, req: { page_size: number; page_token: string }) => {
        const listed = opts.scripts.list(ctx.tenant, { page_size: req.page_size ?? 0, page_token: req.page_token ?? '' });
        if (!listed.ok) throw new ServiceError(grpc.status.INVALID_ARGUMENT, listed.problem);
        return { scripts: listed.scripts.map(versionMessage), next_page_token: listed.next_page_token };
      },
    },
    DeleteScript: {
      unary: (ctx, req: { name: string }) => {
        const name = scriptName(req.name);
        const deleted = opts.scripts.delete(ctx.tenant, name);
        if (!deleted.ok) throw failure(deleted.error, name);
        opts.logger?.info({ tenant: ctx.tenant, script: name, hash: deleted.deleted.hash }, 'script deleted');
        return { deleted: true };
      },
    },
  };
}
