// The plan module's public face: specs in, versions and frozen plans out; it never adds behaviour of its own.
export * from './types.js';
export { canonicalize, sha256Hex } from './canonical.js';
export { BUILTIN_NODES, NODE_ID_PATTERN, PIPELINE_NAME_PATTERN, SPEC_LIMITS, validatePipelineSpec, type ValidationResult } from './validate.js';
export { MAX_SPEC_FILE_BYTES, parsePipelineSpecText, specFromWire } from './sources.js';
export { DEMO_PIPELINE, EMBEDDED_PIPELINES, SCRIPTED_PIPELINE, VOICE_PIPELINE } from './embedded.js';
export { deepFreeze, freezePlan, PLAN_FORMAT, PLAYBACK_GRACE_MS, resolvePlaybackTimeoutMs, type FreezeResult } from './freeze.js';
export { findCycles, topologicalOrder } from './graph.js';
export {
  EMBEDDED_TENANT,
  PipelineRegistry,
  REGISTRY_DEFAULTS,
  specHash,
  type ListRequest,
  type ListResult,
  type PublishOptions,
  type PublishOutcome,
  type PublishRefusal,
  type PublishResult,
  type RegistryOptions,
} from './registry.js';
