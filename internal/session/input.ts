// Session-hot user state: the pending user input that the next turn takes
// (typed text and audio, both bounded) and the conversation history, which
// keeps only what was heard. Bounded by construction; never grows with call
// length.
import { type AudioFormat, audioBytes } from '../../api/eventabi/audio-format.js';
import type { TurnInput } from '../nodes/types.js';

/**
 * Audio kept for the next turn; older audio is dropped (the caller's newest
 * speech matters). 5 s of 16 kHz pcm16 is 160 KB, inside the per-session
 * memory target; streaming STT nodes consume audio as it arrives instead.
 */
export const MAX_PENDING_AUDIO_MS = 5_000;
export const MAX_PENDING_TEXT_CHARS = 16_384;
export const MAX_HISTORY_ENTRIES = 64;

export class PendingInput {
  private text = '';
  private audio: Uint8Array[] = [];
  private audioBytesHeld = 0;
  private readonly maxAudioBytes: number;
  droppedAudioBytes = 0;

  constructor(format: AudioFormat) {
    this.maxAudioBytes = audioBytes(format, MAX_PENDING_AUDIO_MS);
  }

  /** Appends typed text; false when it would exceed the bound (the text is refused whole). */
  addText(text: string): boolean {
    if (this.text.length + text.length > MAX_PENDING_TEXT_CHARS) return false;
    this.text = this.text ? `${this.text} ${text}` : text;
    return true;
  }

  addAudio(frame: Uint8Array): void {
    // Decoded audio is a view into the socket's frame buffer (often a pooled slab
    // or a larger chunk); keeping the view would pin all of it, so keep a copy.
    this.audio.push(new Uint8Array(frame));
    this.audioBytesHeld += frame.length;
    while (this.audioBytesHeld > this.maxAudioBytes && this.audio.length > 1) {
      const dropped = this.audio.shift()!;
      this.audioBytesHeld -= dropped.length;
      this.droppedAudioBytes += dropped.length;
    }
  }

  /** The caller started a new utterance: audio before it is noise or silence to the next turn. */
  clearAudio(): void {
    this.droppedAudioBytes += this.audioBytesHeld;
    this.audio = [];
    this.audioBytesHeld = 0;
  }

  /** What is held now, for the session snapshot. */
  get held(): { text_chars: number; audio_bytes: number; dropped_audio_bytes: number } {
    return { text_chars: this.text.length, audio_bytes: this.audioBytesHeld, dropped_audio_bytes: this.droppedAudioBytes };
  }

  get hasInput(): boolean {
    return this.text.length > 0 || this.audio.length > 0;
  }

  /** Hands the pending input to a turn; `override` (turn.request text) replaces the typed text. */
  take(override?: string): TurnInput {
    const input: TurnInput = { text: override ?? this.text, audio: this.audio };
    this.clear();
    return input;
  }

  clear(): void {
    this.text = '';
    this.audio = [];
    this.audioBytesHeld = 0;
  }
}

export interface HistoryEntry {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

export class ConversationHistory {
  private readonly entries: HistoryEntry[] = [];

  add(role: HistoryEntry['role'], text: string): void {
    if (!text) return;
    this.entries.push({ role, text });
    if (this.entries.length > MAX_HISTORY_ENTRIES) this.entries.shift();
  }

  get all(): readonly HistoryEntry[] {
    return this.entries;
  }
}
