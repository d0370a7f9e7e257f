// Pipeline spec validation: every problem of an untrusted spec, each naming its path; it never resolves defaults or keeps state.
import { LANES, type Lane } from '../../api/eventabi/kinds.js';
import { DEFAULT_LANE_POLICIES, LANE_OVERFLOW_ALLOWED, OVERFLOW_POLICIES, type OverflowPolicy } from '../lanes/policy.js';
import { intInRange, isObject, isOneOf, optionalEnum, optionalString, requiredString, TEXT_CHARS, unknownKeys, type Obj } from './fields.js';
import { findCycles } from './graph.js';
import {
  BARGE_IN_MODES,
  DEFAULT_BUDGETS,
  NODE_KINDS,
  RECORDING_LEVELS,
  TURN_DETECTION_MODES,
  type BargeInPolicy,
  type EdgeSpec,
  type LanePolicySpec,
  type NodeKind,
  type NodeSpec,
  type PipelineSpec,
  type ProviderBinding,
  type TurnBudgets,
} from './types.js';

/** Built-in node implementations and the node kind each one is. */
export const BUILTIN_NODES: Readonly<Record<string, NodeKind>> = Object.freeze({
  vad_energy: 'vad',
  mock_stt: 'stt',
  mock_llm: 'llm',
  mock_tts: 'tts',
  espeak_tts: 'tts',
  pocketsphinx_stt: 'stt',
  openai_llm: 'llm',
});

/** Pipeline and provider binding names: short, lower-case, safe in paths, metrics and URLs. */
export const PIPELINE_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
/** Node ids appear in timelines and logs; they are case-sensitive but otherwise as tame as names. */
export const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The patterns as people write them, for problem messages. */
const NAME_SHAPE = PIPELINE_NAME_PATTERN.source.slice(1, -1);
const NODE_ID_SHAPE = NODE_ID_PATTERN.source.slice(1, -1);

/** Size caps: a spec is untrusted input, and everything the kernel keeps is bounded. */
export const SPEC_LIMITS = Object.freeze({
  nodes: 256,
  edges: 1024,
  providers: 64,
  fallbacks: 16,
  configEntries: 64,
  configKeyChars: 128,
  configValueChars: 4096,
  descriptionChars: 1024,
  scriptNameChars: 128,
  textChars: TEXT_CHARS,
  capacity: 65536,
  maxBlockMs: 60_000,
  minSpeechMs: 10_000,
  maxRetries: 10,
  /** Timers take at most 2^31-1 ms; a day is far beyond any turn. */
  budgetMs: 86_400_000,
});

export type ValidationResult = { ok: true; spec: PipelineSpec } | { ok: false; problems: string[] };

const TOP_KEYS = ['name', 'description', 'nodes', 'edges', 'lanes', 'barge_in', 'budgets', 'providers', 'recording', 'turn_detection'];
const NODE_KEYS = ['id', 'kind', 'builtin', 'script', 'config', 'budget_ms', 'provider'];
const EDGE_KEYS = ['from', 'to'];
const LANE_KEYS = ['lane', 'capacity', 'high_watermark_pct', 'low_watermark_pct', 'overflow', 'max_block_ms'];
const BARGE_IN_KEYS = ['mode', 'min_speech_ms'];
const BUDGET_KEYS = Object.keys(DEFAULT_BUDGETS) as (keyof TurnBudgets)[];
const PROVIDER_KEYS = ['name', 'kind', 'endpoint', 'model', 'fallbacks', 'max_retries', 'timeout_ms'];

/**
 * Checks a spec from any source (gRPC, a file, a test) and lists every
 * problem, in document order: an object's unknown fields first, then its
 * fields in the order of the contract. On success it returns a clean copy
 * holding only known, present fields, with empty optional lists and maps
 * dropped, so the same meaning always has the same canonical form.
 */
export function validatePipelineSpec(spec: unknown): ValidationResult {
  const p: string[] = [];
  if (!isObject(spec)) return { ok: false, problems: ['spec: must be an object'] };
  unknownKeys(spec, TOP_KEYS, '', p);

  const name = requiredString(spec, 'name', 'name', p);
  if (name !== undefined && !PIPELINE_NAME_PATTERN.test(name)) {
    p.push(`name: ${JSON.stringify(name)} is not a valid name (expected ${NAME_SHAPE})`);
  }
  const description = optionalString(spec, 'description', 'description', SPEC_LIMITS.descriptionChars, p);

  const providerNames = new Set<string>();
  const rawProviders = spec['providers'];
  if (Array.isArray(rawProviders)) {
    for (const item of rawProviders) if (isObject(item) && typeof item['name'] === 'string') providerNames.add(item['name']);
  }

  const nodes = checkNodes(spec['nodes'], providerNames, p);
  const edges = checkEdges(spec['edges'], nodes, p);
  const lanes = checkLanes(spec['lanes'], p);
  const barge_in = checkBargeIn(spec['barge_in'], p);
  const budgets = checkBudgets(spec['budgets'], p);
  const providers = checkProviders(rawProviders, p);
  const recording = optionalEnum(spec, 'recording', 'recording', 'recording level', RECORDING_LEVELS, p);
  const turn_detection = optionalEnum(spec, 'turn_detection', 'turn_detection', 'turn detection mode', TURN_DETECTION_MODES, p);

  if (p.length > 0) return { ok: false, problems: p };
  const clean: PipelineSpec = { name: name!, nodes: nodes!.list, edges: edges ?? [] };
  if (description !== undefined) clean.description = description;
  if (lanes && lanes.length > 0) clean.lanes = lanes;
  if (barge_in) clean.barge_in = barge_in;
  if (budgets) clean.budgets = budgets;
  if (providers && providers.length > 0) clean.providers = providers;
  if (recording !== undefined) clean.recording = recording;
  if (turn_detection !== undefined) clean.turn_detection = turn_detection;
  return { ok: true, spec: clean };
}

interface CheckedNodes {
  list: NodeSpec[];
  ids: Set<string>;
}

function checkNodes(raw: unknown, providerNames: ReadonlySet<string>, p: string[]): CheckedNodes | undefined {
  if (raw === undefined) {
    p.push('nodes: required (a pipeline needs at least one node)');
    return undefined;
  }
  if (!Array.isArray(raw)) {
    p.push('nodes: must be a list');
    return undefined;
  }
  if (raw.length === 0) p.push('nodes: a pipeline needs at least one node');
  if (raw.length > SPEC_LIMITS.nodes) p.push(`nodes: at most ${SPEC_LIMITS.nodes} nodes (got ${raw.length})`);
  const list: NodeSpec[] = [];
  const ids = new Set<string>();
  const firstIndex = new Map<string, number>();
  raw.forEach((item, i) => {
    const at = `nodes[${i}]`;
    if (!isObject(item)) {
      p.push(`${at}: must be an object`);
      return;
    }
    unknownKeys(item, NODE_KEYS, at, p);
    const id = requiredString(item, 'id', `${at}.id`, p);
    if (id !== undefined) {
      if (!NODE_ID_PATTERN.test(id)) {
        p.push(`${at}.id: ${JSON.stringify(id)} is not a valid node id (expected ${NODE_ID_SHAPE})`);
      } else if (firstIndex.has(id)) {
        p.push(`${at}.id: duplicate node id ${JSON.stringify(id)} (also nodes[${firstIndex.get(id)}])`);
      } else {
        firstIndex.set(id, i);
      }
      ids.add(id);
    }
    const kind = requiredString(item, 'kind', `${at}.kind`, p);
    const kindOk = kind !== undefined && isOneOf(kind, NODE_KINDS);
    if (kind !== undefined && !kindOk) p.push(`${at}.kind: unknown node kind ${JSON.stringify(kind)} (expected one of ${NODE_KINDS.join(', ')})`);

    const builtin = optionalString(item, 'builtin', `${at}.builtin`, SPEC_LIMITS.textChars, p);
    const script = optionalString(item, 'script', `${at}.script`, SPEC_LIMITS.scriptNameChars, p);
    if (item['builtin'] !== undefined && item['script'] !== undefined) {
      p.push(`${at}: has both builtin and script (exactly one is required)`);
    } else if (item['builtin'] === undefined && item['script'] === undefined) {
      p.push(`${at}: needs a builtin or a script`);
    }
    if (builtin !== undefined) {
      const builtinKind = Object.prototype.hasOwnProperty.call(BUILTIN_NODES, builtin) ? BUILTIN_NODES[builtin] : undefined;
      if (builtinKind === undefined) {
        p.push(`${at}.builtin: unknown builtin ${JSON.stringify(builtin)} (expected one of ${Object.keys(BUILTIN_NODES).join(', ')})`);
      } else if (kindOk && builtinKind !== kind) {
        p.push(`${at}.builtin: ${JSON.stringify(builtin)} is a ${builtinKind} node, not ${kind}`);
      }
    }
    if (script !== undefined && script.length === 0) p.push(`${at}.script: must not be empty`);

    const config = checkConfig(item['config'], `${at}.config`, p);
    const budget_ms = intInRange(item['budget_ms'], `${at}.budget_ms`, 1, SPEC_LIMITS.budgetMs, p);
    const provider = optionalString(item, 'provider', `${at}.provider`, SPEC_LIMITS.textChars, p);
    if (provider !== undefined && !providerNames.has(provider)) p.push(`${at}.provider: unknown provider binding ${JSON.stringify(provider)}`);

    const node: NodeSpec = { id: id ?? '', kind: kind ?? '' };
    if (builtin !== undefined) node.builtin = builtin;
    if (script !== undefined) node.script = script;
    if (config !== undefined && Object.keys(config).length > 0) node.config = config;
    if (budget_ms !== undefined) node.budget_ms = budget_ms;
    if (provider !== undefined) node.provider = provider;
    list.push(node);
  });
  return { list, ids };
}

function checkConfig(raw: unknown, at: string, p: string[]): Record<string, string> | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    p.push(`${at}: must be a map of strings`);
    return undefined;
  }
  const keys = Object.keys(raw);
  if (keys.length > SPEC_LIMITS.configEntries) p.push(`${at}: at most ${SPEC_LIMITS.configEntries} entries (got ${keys.length})`);
  const entries: [string, string][] = [];
  for (const key of keys) {
    const value = raw[key];
    if (key.length === 0 || key.length > SPEC_LIMITS.configKeyChars) {
      p.push(`${at}: key ${JSON.stringify(key.slice(0, 32))} must be 1 to ${SPEC_LIMITS.configKeyChars} characters`);
    }
    if (typeof value !== 'string') p.push(`${at}.${key}: must be a string`);
    else if (value.length > SPEC_LIMITS.configValueChars) p.push(`${at}.${key}: at most ${SPEC_LIMITS.configValueChars} characters`);
    else entries.push([key, value]);
  }
  // fromEntries defines own properties: a key such as "__proto__" stays data instead of reaching the prototype.
  return Object.fromEntries(entries);
}

function checkEdges(raw: unknown, nodes: CheckedNodes | undefined, p: string[]): EdgeSpec[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    p.push('edges: must be a list');
    return undefined;
  }
  if (raw.length > SPEC_LIMITS.edges) p.push(`edges: at most ${SPEC_LIMITS.edges} edges (got ${raw.length})`);
  const list: EdgeSpec[] = [];
  const usable: EdgeSpec[] = [];
  const seen = new Map<string, number>();
  raw.forEach((item, i) => {
    const at = `edges[${i}]`;
    if (!isObject(item)) {
      p.push(`${at}: must be an object`);
      return;
    }
    unknownKeys(item, EDGE_KEYS, at, p);
    const from = requiredString(item, 'from', `${at}.from`, p);
    const to = requiredString(item, 'to', `${at}.to`, p);
    // Without a valid node list every endpoint is unknown; the nodes problem already says why.
    const fromOk = from !== undefined && (nodes === undefined || nodes.ids.has(from));
    const toOk = to !== undefined && (nodes === undefined || nodes.ids.has(to));
    if (from !== undefined && !fromOk) p.push(`${at}.from: unknown node ${JSON.stringify(from)}`);
    if (to !== undefined && !toOk) p.push(`${at}.to: unknown node ${JSON.stringify(to)}`);
    if (from === undefined || to === undefined) return;
    const key = `${from}\u0000${to}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) p.push(`${at}: duplicate of edges[${earlier}] (${from} -> ${to})`);
    else seen.set(key, i);
    list.push({ from, to });
    if (fromOk && toOk && earlier === undefined) usable.push({ from, to });
  });
  if (nodes) {
    for (const cycle of findCycles([...nodes.ids], usable)) p.push(`edges: cycle ${cycle.join(' -> ')}`);
  }
  return list;
}

function checkLanes(raw: unknown, p: string[]): LanePolicySpec[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    p.push('lanes: must be a list');
    return undefined;
  }
  const list: LanePolicySpec[] = [];
  const firstIndex = new Map<string, number>();
  raw.forEach((item, i) => {
    const at = `lanes[${i}]`;
    if (!isObject(item)) {
      p.push(`${at}: must be an object`);
      return;
    }
    unknownKeys(item, LANE_KEYS, at, p);
    const laneName = requiredString(item, 'lane', `${at}.lane`, p);
    let lane: Lane | undefined;
    if (laneName !== undefined) {
      if (!isOneOf(laneName, LANES)) {
        p.push(`${at}.lane: unknown lane ${JSON.stringify(laneName)} (expected one of ${LANES.join(', ')})`);
      } else if (firstIndex.has(laneName)) {
        p.push(`${at}.lane: duplicate lane ${JSON.stringify(laneName)} (also lanes[${firstIndex.get(laneName)}])`);
      } else {
        firstIndex.set(laneName, i);
        lane = laneName;
      }
    }
    const capacity = intInRange(item['capacity'], `${at}.capacity`, 1, SPEC_LIMITS.capacity, p);
    const high = intInRange(item['high_watermark_pct'], `${at}.high_watermark_pct`, 1, 100, p);
    const low = intInRange(item['low_watermark_pct'], `${at}.low_watermark_pct`, 1, 100, p);
    const max_block_ms = intInRange(item['max_block_ms'], `${at}.max_block_ms`, 0, SPEC_LIMITS.maxBlockMs, p);
    const overflowName = optionalString(item, 'overflow', `${at}.overflow`, SPEC_LIMITS.textChars, p);
    let overflow: OverflowPolicy | undefined;
    if (overflowName !== undefined) {
      if (!isOneOf(overflowName, OVERFLOW_POLICIES)) {
        p.push(`${at}.overflow: unknown overflow policy ${JSON.stringify(overflowName)} (expected one of ${OVERFLOW_POLICIES.join(', ')})`);
      } else if (lane !== undefined && !LANE_OVERFLOW_ALLOWED[lane].includes(overflowName)) {
        p.push(`${at}.overflow: ${JSON.stringify(overflowName)} is not allowed on the ${lane} lane (allowed: ${LANE_OVERFLOW_ALLOWED[lane].join(', ')})`);
      } else {
        overflow = overflowName;
      }
    }
    // Hysteresis needs low < high as the lane will actually run, i.e. after defaults fill the gaps.
    if (lane !== undefined && (high !== undefined || low !== undefined)) {
      const effectiveHigh = high ?? DEFAULT_LANE_POLICIES[lane].high_watermark_pct;
      const effectiveLow = low ?? DEFAULT_LANE_POLICIES[lane].low_watermark_pct;
      if (effectiveLow >= effectiveHigh && isPct(item['high_watermark_pct']) && isPct(item['low_watermark_pct'])) {
        p.push(`${at}: low_watermark_pct (${effectiveLow}) must be below high_watermark_pct (${effectiveHigh})`);
      }
    }
    list.push({
      lane: laneName ?? '',
      ...(capacity !== undefined ? { capacity } : {}),
      ...(high !== undefined ? { high_watermark_pct: high } : {}),
      ...(low !== undefined ? { low_watermark_pct: low } : {}),
      ...(overflow !== undefined ? { overflow } : {}),
      ...(max_block_ms !== undefined ? { max_block_ms } : {}),
    });
  });
  return list;
}

/** A watermark that is absent (a default applies) or valid; an invalid one already has its own problem. */
function isPct(value: unknown): boolean {
  return value === undefined || (Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 100);
}

function checkBargeIn(raw: unknown, p: string[]): Partial<BargeInPolicy> | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    p.push('barge_in: must be an object');
    return undefined;
  }
  unknownKeys(raw, BARGE_IN_KEYS, 'barge_in', p);
  const out: Partial<BargeInPolicy> = {};
  const mode = optionalEnum(raw, 'mode', 'barge_in.mode', 'barge-in mode', BARGE_IN_MODES, p);
  if (mode !== undefined) out.mode = mode;
  const min = intInRange(raw['min_speech_ms'], 'barge_in.min_speech_ms', 1, SPEC_LIMITS.minSpeechMs, p);
  if (min !== undefined) out.min_speech_ms = min;
  return Object.keys(out).length > 0 ? out : undefined;
}

function checkBudgets(raw: unknown, p: string[]): Partial<TurnBudgets> | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) {
    p.push('budgets: must be an object');
    return undefined;
  }
  unknownKeys(raw, BUDGET_KEYS, 'budgets', p);
  const out: Partial<TurnBudgets> = {};
  for (const key of BUDGET_KEYS) {
    // playback_timeout_ms 0 is meaningful: commit generated_ms + 2000 after output.end.
    const min = key === 'playback_timeout_ms' ? 0 : 1;
    const value = intInRange(raw[key], `budgets.${key}`, min, SPEC_LIMITS.budgetMs, p);
    if (value !== undefined) out[key] = value;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function checkProviders(raw: unknown, p: string[]): ProviderBinding[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    p.push('providers: must be a list');
    return undefined;
  }
  if (raw.length > SPEC_LIMITS.providers) p.push(`providers: at most ${SPEC_LIMITS.providers} bindings (got ${raw.length})`);
  const names = new Set<string>();
  for (const item of raw) if (isObject(item) && typeof item['name'] === 'string') names.add(item['name']);
  const list: ProviderBinding[] = [];
  const firstIndex = new Map<string, number>();
  raw.forEach((item, i) => {
    const at = `providers[${i}]`;
    if (!isObject(item)) {
      p.push(`${at}: must be an object`);
      return;
    }
    unknownKeys(item, PROVIDER_KEYS, at, p);
    const name = requiredString(item, 'name', `${at}.name`, p);
    if (name !== undefined) {
      if (!PIPELINE_NAME_PATTERN.test(name)) {
        p.push(`${at}.name: ${JSON.stringify(name)} is not a valid name (expected ${NAME_SHAPE})`);
      } else if (firstIndex.has(name)) {
        p.push(`${at}.name: duplicate provider binding ${JSON.stringify(name)} (also providers[${firstIndex.get(name)}])`);
      } else {
        firstIndex.set(name, i);
      }
    }
    const kind = requiredString(item, 'kind', `${at}.kind`, p);
    if (kind !== undefined && kind.length === 0) p.push(`${at}.kind: must not be empty`);
    const endpoint = optionalString(item, 'endpoint', `${at}.endpoint`, SPEC_LIMITS.textChars, p);
    const model = optionalString(item, 'model', `${at}.model`, SPEC_LIMITS.textChars, p);
    const fallbacks = checkFallbacks(item['fallbacks'], `${at}.fallbacks`, name, names, p);
    const max_retries = intInRange(item['max_retries'], `${at}.max_retries`, 0, SPEC_LIMITS.maxRetries, p);
    const timeout_ms = intInRange(item['timeout_ms'], `${at}.timeout_ms`, 1, SPEC_LIMITS.budgetMs, p);
    const binding: ProviderBinding = { name: name ?? '', kind: kind ?? '' };
    if (endpoint !== undefined) binding.endpoint = endpoint;
    if (model !== undefined) binding.model = model;
    if (fallbacks !== undefined && fallbacks.length > 0) binding.fallbacks = fallbacks;
    if (max_retries !== undefined) binding.max_retries = max_retries;
    if (timeout_ms !== undefined) binding.timeout_ms = timeout_ms;
    list.push(binding);
  });
  return list;
}

function checkFallbacks(raw: unknown, at: string, self: string | undefined, names: ReadonlySet<string>, p: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw)) {
    p.push(`${at}: must be a list`);
    return undefined;
  }
  if (raw.length > SPEC_LIMITS.fallbacks) p.push(`${at}: at most ${SPEC_LIMITS.fallbacks} fallbacks (got ${raw.length})`);
  const out: string[] = [];
  raw.forEach((item, i) => {
    if (typeof item !== 'string') p.push(`${at}[${i}]: must be a string`);
    else if (item === self) p.push(`${at}[${i}]: a binding cannot fall back to itself`);
    else if (!names.has(item)) p.push(`${at}[${i}]: unknown provider binding ${JSON.stringify(item)}`);
    else out.push(item);
  });
  return out;
}
