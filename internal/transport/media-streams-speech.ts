// Caller speech on a media stream: telephony gateways send audio but no
// speech.started/speech.stopped, so when the pipeline expects the gateway to
// detect speech, this runs the energy VAD on the caller's audio and says where
// speech starts and stops. It holds the last few quiet frames back so the
// audio that made the VAD decide (the start of the first word) follows
// speech.started instead of being discarded by it. It never reads the clock:
// time is the audio's own duration.
import { type AudioFormat, audioMs } from '../../api/eventabi/audio-format.js';
import { type Vad, type VadOptions, createVad } from '../nodes/index.js';

export type CallerAudioEvent =
  | { readonly type: 'audio'; readonly audio: Uint8Array; readonly media_ms: number }
  | { readonly type: 'speech_started'; readonly media_ms: number }
  | { readonly type: 'speech_stopped'; readonly media_ms: number };

interface HeldFrame {
  readonly audio: Uint8Array;
  readonly media_ms: number;
  readonly ms: number;
}

/** Turns caller audio into audio events, with speech boundaries when a detector is configured. */
export class CallerSpeech {
  private readonly vad: Vad | undefined;
  private readonly format: AudioFormat;
  private readonly holdMs: number;
  private readonly held: HeldFrame[] = [];
  private heldMs = 0;
  /** Caller audio received so far, in ms: the VAD's timebase. */
  private receivedMs = 0;

  /** Without `vad` the audio passes straight through (the session detects speech itself, or nobody does). */
  constructor(format: AudioFormat, vad?: VadOptions) {
    this.format = format;
    this.vad = vad ? createVad(vad) : undefined;
    // The VAD decides after min_speech_ms of loud audio; one frame more covers a run that began mid-frame.
    this.holdMs = vad ? vad.min_speech_ms + 20 : 0;
  }

  get detecting(): boolean {
    return this.vad !== undefined;
  }

  get speaking(): boolean {
    return this.vad?.speaking ?? false;
  }

  /** One frame of caller audio starting at `media_ms` (the gateway's timestamp, or ours). */
  push(audio: Uint8Array, media_ms: number): CallerAudioEvent[] {
    const ms = audioMs(this.format, audio.length);
    const at = this.receivedMs;
    this.receivedMs += ms;
    if (!this.vad) return [{ type: 'audio', audio, media_ms }];
    if (this.vad.speaking) {
      const change = this.vad.push(audio, at);
      const out: CallerAudioEvent[] = [{ type: 'audio', audio, media_ms }];
      if (change === 'speech_stopped') out.push({ type: 'speech_stopped', media_ms: Math.round(this.receivedMs) });
      return out;
    }
    this.held.push({ audio, media_ms, ms });
    this.heldMs += ms;
    if (this.vad.push(audio, at) === 'speech_started') {
      const out: CallerAudioEvent[] = [{ type: 'speech_started', media_ms: this.held[0]!.media_ms }];
      for (const frame of this.held) out.push({ type: 'audio', audio: frame.audio, media_ms: frame.media_ms });
      this.held.length = 0;
      this.heldMs = 0;
      return out;
    }
    const out: CallerAudioEvent[] = [];
    while (this.held.length > 1 && this.heldMs - this.held[0]!.ms >= this.holdMs) {
      const oldest = this.held.shift()!;
      this.heldMs -= oldest.ms;
      out.push({ type: 'audio', audio: oldest.audio, media_ms: oldest.media_ms });
    }
    return out;
  }
}
