// mock_stt: a deterministic transcript chosen by hashing the caller's audio; it never looks at anything but the audio and its config.
import { createHash } from 'node:crypto';
import type { NodeCall, SttNode } from '../node.js';
import { throwIfConfigured } from './settings.js';

/** Short, plausible user turns, so demos and timelines read like calls. */
export const MOCK_STT_PHRASES: readonly string[] = [
  'hello there',
  'what time is it',
  'book a table for two',
  'tell me a joke',
  'how is the weather today',
  'play some music',
  'call me back later',
  'thank you very much',
  'where is my order',
  'can you repeat that',
  'i would like to pay my bill',
  'what are your opening hours',
  'cancel my appointment',
  'speak to a person please',
  'yes that is right',
  'no thanks goodbye',
];

/** The transcript of `audio`: empty when there is none, `config.text` when set, else a phrase picked by the audio's hash. */
export function mockTranscript(audio: Uint8Array, config: Readonly<Record<string, string>>): string {
  if (audio.length === 0) return '';
  const forced = config['text'];
  if (forced !== undefined) return forced;
  const digest = createHash('sha256').update(audio).digest();
  return MOCK_STT_PHRASES[digest.readUInt32BE(0) % MOCK_STT_PHRASES.length]!;
}

export const mockStt: SttNode = {
  kind: 'stt',
  transcribe(audio: Uint8Array, call: NodeCall): string {
    throwIfConfigured(call.config);
    return mockTranscript(audio, call.config);
  },
};
