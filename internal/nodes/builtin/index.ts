// The built-in node implementations the in-process host can run, by builtin name; it never holds per-call state.
import type { NodeImpl } from '../node.js';
import { mockLlm } from './mock-llm.js';
import { mockStt } from './mock-stt.js';
import { mockTts } from './mock-tts.js';

/**
 * Graph nodes only: `vad_energy` runs on the session's audio path (createVad),
 * and the engine-backed built-ins (espeak_tts, pocketsphinx_stt, openai_llm)
 * arrive with the external-node tier.
 */
export const BUILTIN_IMPLS: Readonly<Record<string, NodeImpl>> = Object.freeze({
  mock_stt: mockStt,
  mock_llm: mockLlm,
  mock_tts: mockTts,
});

export { mulawDecode, mulawEncode, linearToMulaw, mulawToLinear } from './g711.js';
export { createVad, vadOptionsFromConfig, frameLevelDb, DEFAULT_VAD, type Vad, type VadEvent, type VadOptions } from './vad-energy.js';
export { speechFrames, wordFrames, FRAME_MS } from './mock-tts.js';
export { mockReply, wordDeltas } from './mock-llm.js';
export { mockTranscript, MOCK_STT_PHRASES } from './mock-stt.js';
export { encodeSamples, decodeSamples } from './pcm.js';
