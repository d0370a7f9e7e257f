// The pipelines shipped inside Baton (DESIGN 5.4), visible to every tenant; it never holds tenant data and is never edited at run time.
import { deepFreeze } from './freeze.js';
import type { PipelineSpec } from './types.js';

/**
 * `demo`: deterministic mock STT -> LLM -> TTS. It needs no audio engine, so
 * `make run` and `make demo` work anywhere. The gateway's VAD decides turns:
 * `speech.stopped` and `turn.request` propose.
 */
export const DEMO_PIPELINE: PipelineSpec = {
  name: 'demo',
  description: 'Deterministic mock STT, LLM and TTS; needs no audio engine. Turns come from the gateway (speech.stopped, turn.request).',
  nodes: [
    { id: 'stt', kind: 'stt', builtin: 'mock_stt' },
    { id: 'llm', kind: 'llm', builtin: 'mock_llm' },
    { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
  ],
  edges: [
    { from: 'stt', to: 'llm' },
    { from: 'llm', to: 'tts' },
  ],
  turn_detection: 'gateway',
};

/**
 * `voice`: energy VAD -> pocketsphinx -> mock LLM -> espeak-ng. The VAD node
 * proposes turns, so a gateway without VAD of its own can use it. An operator
 * who wants a real LLM publishes a copy under another name (e.g. `voice-openai`)
 * with `openai_llm`: embedded names cannot be published over (docs/control-plane.md).
 */
export const VOICE_PIPELINE: PipelineSpec = {
  name: 'voice',
  description: 'Energy VAD, pocketsphinx STT, mock LLM and espeak-ng TTS; the VAD node ends the user turn.',
  nodes: [
    { id: 'vad', kind: 'vad', builtin: 'vad_energy' },
    { id: 'stt', kind: 'stt', builtin: 'pocketsphinx_stt' },
    { id: 'llm', kind: 'llm', builtin: 'mock_llm' },
    { id: 'tts', kind: 'tts', builtin: 'espeak_tts' },
  ],
  edges: [
    { from: 'vad', to: 'stt' },
    { from: 'stt', to: 'llm' },
    { from: 'llm', to: 'tts' },
  ],
  turn_detection: 'node',
};

/**
 * `scripted`: mock STT -> `redact/pii` -> `bot/rules` -> mock TTS, the
 * embedded default scripts (internal/nodes/registry/embedded/) as text
 * nodes: digit runs and e-mail addresses are masked before the bot sees
 * them. Turns come from the gateway, as in `demo`. A tenant that overrides
 * either script (scripts directory or PutScript) changes what this runs.
 */
export const SCRIPTED_PIPELINE: PipelineSpec = {
  name: 'scripted',
  description: 'Mock STT, the redact/pii and bot/rules embedded scripts, mock TTS. Turns come from the gateway (speech.stopped, turn.request).',
  nodes: [
    { id: 'stt', kind: 'stt', builtin: 'mock_stt' },
    { id: 'redact', kind: 'custom', script: 'redact/pii' },
    { id: 'bot', kind: 'llm', script: 'bot/rules' },
    { id: 'tts', kind: 'tts', builtin: 'mock_tts' },
  ],
  edges: [
    { from: 'stt', to: 'redact' },
    { from: 'redact', to: 'bot' },
    { from: 'bot', to: 'tts' },
  ],
  turn_detection: 'gateway',
};

export const EMBEDDED_PIPELINES: readonly PipelineSpec[] = deepFreeze([DEMO_PIPELINE, VOICE_PIPELINE, SCRIPTED_PIPELINE]);
