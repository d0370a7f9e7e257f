// The contract between the node host and one node implementation (built-in today, sandboxed later); an implementation never sees the turn, the egress or the timeline.
import type { AudioFormat } from '../../api/eventabi/audio-format.js';
import type { Clock } from '../determinism/clock.js';
import type { ProviderBinding } from '../plan/types.js';
import type { ProviderOutcome } from './types.js';

/** What every node call gets: its configuration, the turn seed, time and a cancel signal. */
export interface NodeCall {
  readonly node_id: string;
  readonly config: Readonly<Record<string, string>>;
  readonly seed: number;
  readonly clock: Clock;
  readonly format: AudioFormat;
  /** Aborted when the turn is cancelled, the node's budget runs out or a provider attempt times out. */
  readonly signal: AbortSignal;
  /** Waits `ms` on the kernel clock; rejects with the signal's reason if aborted first. */
  sleep(ms: number): Promise<void>;
}

/** Speech to text: all of the turn's pending audio in, one final transcript out. */
export interface SttNode {
  readonly kind: 'stt';
  transcribe(audio: Uint8Array, call: NodeCall): string | Promise<string>;
}

export interface LlmCall extends NodeCall {
  /** The provider binding of this attempt; undefined when the node names none. */
  readonly binding: Readonly<ProviderBinding> | undefined;
  /** 0 for the first attempt on `binding`, 1 for its first retry, and so on. */
  readonly attempt: number;
  /** Streams a piece of the reply; the concatenation of all deltas is the reply. */
  delta(text: string): void;
}

/** A provider-backed text generator: resolves to its normalized outcome, never throws for a provider error. */
export interface LlmNode {
  readonly kind: 'llm';
  generate(text: string, call: LlmCall): Promise<ProviderOutcome>;
}

export interface TtsCall extends NodeCall {
  /** Resolves when the consumer can take another frame; await it before every `audio`. */
  credit(): Promise<void>;
  /** Emits one frame of audio in the call's format. */
  audio(frame: Uint8Array, ms: number): void;
}

/** One utterance being spoken: text arrives in pieces as the LLM streams it. */
export interface TtsStream {
  push(text: string): Promise<void>;
  end(): Promise<void>;
}

export interface TtsNode {
  readonly kind: 'tts';
  open(call: TtsCall): TtsStream;
}

export type NodeImpl = SttNode | LlmNode | TtsNode;
