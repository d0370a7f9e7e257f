// The allowed module graph, as data: which module owns what and which modules
// its production files may import. test/contract/module-graph.test.ts parses
// every import under api/ internal/ cmd/ and fails on an edge this table does
// not allow, on a cycle, and on a module missing here; docs/architecture.md's
// "Module graph" section is generated from it. It imports nothing and is never
// read at run time: adding an edge is a reviewed change to this table.

export interface ModuleRule {
  /** What the module owns, in one line (the doc's graph shows it). */
  readonly owns: string;
  /** The modules its production files may import; its tests are not held to this. */
  readonly imports: readonly string[];
  /** Subdirectories private to the module: other modules reach them only through its own files. */
  readonly private?: readonly string[];
}

function rule(owns: string, imports: readonly string[], privateDirs?: readonly string[]): ModuleRule {
  return Object.freeze({ owns, imports: Object.freeze([...imports]), ...(privateDirs ? { private: Object.freeze([...privateDirs]) } : {}) });
}

/**
 * Every module, written top-down: each imports only modules below it. A module
 * is a directory (or one file: `api/proto-files`, this table) named by its
 * path, `api/...` and `cmd` from the repository root and every other name
 * under `internal/`. A directory inside a module belongs to that module unless
 * it is listed here itself.
 */
export const MODULE_GRAPH = Object.freeze({
  cmd: rule('the command line: serve, demo and the clients that drive a running kernel', ['kernel', 'config', 'nodes', 'nodes/registry', 'api/eventabi']),
  kernel: rule('the composition root: builds one kernel process from config, starts, drains and stops it', [
    'transport/operator', 'transport', 'control', 'session', 'tenancy', 'nodes', 'nodes/registry', 'ingress', 'plan', 'lanes',
    'authority', 'admission', 'config', 'observe', 'observe/timeline', 'determinism', 'api/eventabi',
  ]),
  'transport/operator': rule('the read-only operator page and its JSON', ['session', 'tenancy', 'observe', 'observe/timeline', 'api/eventabi']),
  transport: rule('the HTTP server, WebSocket gateways (native and media streams), connection limits and socket backpressure', [
    'session', 'tenancy', 'ingress', 'nodes', 'observe', 'determinism', 'api/eventabi',
  ]),
  control: rule('the gRPC control plane: server, request authentication, status mapping, health and the services', [
    'session', 'tenancy', 'plan', 'nodes/registry', 'authority', 'config', 'observe', 'observe/timeline', 'determinism',
    'paging', 'api/controlplane', 'api/eventabi',
  ]),
  session: rule('sessions and their manager: the one active turn, ingress routing, egress, the session timeline', [
    'turn', 'nodes', 'fence', 'ingress', 'plan', 'lanes', 'authority', 'admission', 'observe', 'observe/timeline',
    'determinism', 'paging', 'api/eventabi',
  ]),
  tenancy: rule('who a caller is: tenant keys and session tokens', []),
  turn: rule('the xstate turn arbiter and the pre-turn gate', ['plan', 'determinism', 'api/eventabi']),
  nodes: rule('the node host: contract, graph executor, turn detection from the plan, and the built-in nodes', ['nodes/registry', 'plan', 'determinism', 'api/eventabi'], ['builtin']),
  'nodes/registry': rule('tenant scripts and modules: analysis, names, limits and the per-tenant store', ['paging']),
  ingress: rule("a session's Event ABI gate: decode, validate, seq, format and epoch", ['api/eventabi']),
  fence: rule('cancel scopes and the egress fence, the last hop before the socket', ['api/eventabi']),
  plan: rule('the pipeline registry, validation, freeze and canonical hash', ['lanes', 'paging', 'api/eventabi']),
  lanes: rule('bounded lane queues, their policies and the cross-session scheduler', ['api/eventabi']),
  authority: rule('lease epochs: the backends and the per-session lease keeper', ['determinism', 'api/eventabi']),
  admission: rule('quotas, local admission and the execution pool', ['determinism', 'api/eventabi']),
  config: rule('configuration: defaults, file, env and flags merged into one frozen config', []),
  'observe/timeline': rule('the session timeline: records, recorder, sink and readers', ['determinism', 'api/eventabi', 'api/proto-files']),
  observe: rule('logging and metrics', []),
  determinism: rule('the one clock (real or virtual), seeds and named random streams', []),
  paging: rule('page tokens of every List method: minted per scope, refused when not ours', []),
  'api/controlplane': rule('the gRPC contract: generated bindings and their loader', ['api/proto-files']),
  'api/eventabi': rule('the Event ABI: kinds, vocabularies, codecs, validator and envelope constructor', ['api/proto-files']),
  'api/proto-files': rule('where proto/ is, from source or from dist/', []),
  'module-graph': rule('this table', []),
} satisfies Record<string, ModuleRule>);
