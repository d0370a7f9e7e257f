// The node host's public surface: the contract types, the in-process host and the audio-path built-ins the session uses; it never holds state.
export * from './types.js';
export type { LlmCall, LlmNode, NodeCall, NodeImpl, SttNode, TtsCall, TtsNode, TtsStream } from './node.js';
export {
  DEFAULT_MAX_QUEUED_PROVIDER_CALLS,
  DEFAULT_PROVIDER_CONCURRENCY,
  InProcessNodeHost,
  MAX_REPLY_CHARS,
  type InProcessNodeHostOptions,
} from './graph.js';
export { BUILTIN_IMPLS } from './builtin/index.js';
export type { NodeTier, NodeRunner, SttRunner, TextRunner, TtsRunner } from './tier.js';
export { ScriptNodeTier, type ScriptNodes, type ScriptObserver } from './script-node.js';
export { HostCallError } from './provider-script.js';
export { MemoryStateStore, STATE_KEY_MAX_CHARS, STATE_MAX_BYTES_PER_SESSION, type SessionStateStore, type StateCommit, type StateSnapshot, type StateWrites } from './state-store.js';
export { createVad, DEFAULT_VAD, frameLevelDb, vadOptionsFromConfig, type Vad, type VadEvent, type VadOptions } from './builtin/vad-energy.js';
export { linearToMulaw, mulawDecode, mulawEncode } from './builtin/g711.js';
export { decodeSamples, encodeSamples } from './builtin/pcm.js';
