// Pipeline specs (as published) and frozen plans (as run). Field names follow
// control.proto so a spec round-trips through gRPC and JSON unchanged.
import type { Lane } from '../../api/eventabi/kinds.js';
import type { LanePolicy } from '../lanes/policy.js';

export const NODE_KINDS = ['vad', 'stt', 'llm', 'tts', 'custom'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const BARGE_IN_MODES = ['immediate', 'confirmed'] as const;
export type BargeInMode = (typeof BARGE_IN_MODES)[number];

export const TURN_DETECTION_MODES = ['gateway', 'node', 'manual'] as const;
export type TurnDetection = (typeof TURN_DETECTION_MODES)[number];

export const RECORDING_LEVELS = ['full', 'hashes', 'decisions'] as const;
export type RecordingLevel = (typeof RECORDING_LEVELS)[number];

export interface NodeSpec {
  id: string;
  kind: NodeKind | string;
  /** Built-in implementation name, e.g. `mock_stt`; exclusive with `script`. */
  builtin?: string;
  script?: string;
  config?: Record<string, string>;
  /** Per-invocation deadline in ms; 0 or absent: the turn budget applies. */
  budget_ms?: number;
  provider?: string;
}

export interface EdgeSpec {
  from: string;
  to: string;
}

export interface LanePolicySpec extends Partial<LanePolicy> {
  lane: Lane | string;
}

export interface BargeInPolicy {
  mode: BargeInMode;
  min_speech_ms: number;
}

export interface TurnBudgets {
  /** Max time from turn.opened to turn.active. */
  opening_ms: number;
  /** Max time from turn.active until generation completes (output.end). */
  active_ms: number;
  /** Commit this long after output.end without playback.completed; 0 means generated_ms + 2000. */
  playback_timeout_ms: number;
  max_ahead_ms: number;
  reconnect_grace_ms: number;
  session_idle_ms: number;
  /** Max time from a terminal to turn.closed. */
  closing_ms: number;
}

export interface ProviderBinding {
  name: string;
  kind: string;
  endpoint?: string;
  model?: string;
  fallbacks?: string[];
  max_retries?: number;
  timeout_ms?: number;
}

export interface PipelineSpec {
  name: string;
  description?: string;
  nodes: NodeSpec[];
  edges: EdgeSpec[];
  lanes?: LanePolicySpec[];
  barge_in?: Partial<BargeInPolicy>;
  budgets?: Partial<TurnBudgets>;
  providers?: ProviderBinding[];
  recording?: RecordingLevel | string;
  turn_detection?: TurnDetection | string;
}

export interface PipelineVersion {
  tenant: string;
  name: string;
  /** Decimal, increasing per (tenant, name) from "1". */
  version: string;
  /** Lower-case hex SHA-256 of the canonical spec. */
  hash: string;
  spec: PipelineSpec;
}

/**
 * The immutable plan of one turn: every value resolved (defaults applied) and
 * the content hash of every script it runs. `canonical` is the exact byte
 * string hashed into `plan_hash`; it never contains session or turn ids.
 */
export interface FrozenPlan {
  readonly pipeline: string;
  readonly pipeline_version: string;
  readonly pipeline_hash: string;
  /** Nodes in a deterministic topological order. */
  readonly nodes: readonly Readonly<NodeSpec>[];
  readonly edges: readonly Readonly<EdgeSpec>[];
  readonly lanes: Readonly<Record<Lane, LanePolicy>>;
  readonly barge_in: Readonly<BargeInPolicy>;
  readonly budgets: Readonly<TurnBudgets>;
  readonly providers: readonly Readonly<ProviderBinding>[];
  readonly recording: RecordingLevel;
  readonly turn_detection: TurnDetection;
  /** Script name -> lower-case hex SHA-256 of its source, for every script the plan runs. */
  readonly scripts: Readonly<Record<string, string>>;
  readonly canonical: Uint8Array;
  readonly plan_hash: string;
}

export const DEFAULT_BUDGETS: Readonly<TurnBudgets> = {
  opening_ms: 2000,
  active_ms: 30000,
  playback_timeout_ms: 0,
  max_ahead_ms: 1000,
  reconnect_grace_ms: 5000,
  session_idle_ms: 60000,
  closing_ms: 1000,
};

export const DEFAULT_BARGE_IN: Readonly<BargeInPolicy> = { mode: 'immediate', min_speech_ms: 300 };
