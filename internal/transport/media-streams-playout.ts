// Caller-bound audio of one media stream: re-frames a turn's `audio.out` into
// 20 ms `media` frames, places `mark`s that name the turn and the audio sent
// before them, answers a fence with `clear`, and maps the gateway's echoed
// marks back to playback acknowledgements. It never decides what may be sent
// (the session's fence does) and never touches a socket: `write` does.
import { type AudioFormat, audioBytes, audioMs } from '../../api/eventabi/audio-format.js';
import { clearFrame, markFrame, mediaFrame } from './media-streams-dialect.js';

const FORMAT: AudioFormat = { codec: 'mulaw', sample_rate: 8000 };
/** 20 ms of 8 kHz mu-law: the frame size telephony gateways play natively. */
export const FRAME_BYTES = audioBytes(FORMAT, 20);
/**
 * A progress mark after every this many ms of a turn's audio, so played time
 * is known during playback and not only at its end: a barge-in's `played_ms`
 * (and so the assistant text kept in the history) is at most this much short.
 */
export const MARK_INTERVAL_MS = 200;
/** Marks kept waiting for their echo; a gateway that never echoes must not grow this without bound. */
const MAX_OUTSTANDING_MARKS = 1024;

export type PlaybackAck = {
  readonly kind: 'playback.mark' | 'playback.completed';
  readonly turn_id: string;
  readonly played_ms: number;
};

interface PendingMark {
  readonly turn_id: string;
  readonly played_ms: number;
  readonly completes: boolean;
}

export interface PlayoutOptions {
  streamSid: string;
  /**
   * Writes one frame to the gateway. `data` frames (audio) may be refused
   * (false) when the reader is too slow; `control` frames (marks, clear) are
   * always written while the socket is open.
   */
  write: (frame: string, lane: 'data' | 'control') => boolean;
  markIntervalMs?: number;
}

/** The name of the mark that ends a turn's audio. */
export function endMarkName(turn_id: string): string {
  return `baton:${turn_id}:end`;
}

/** The name of a progress mark placed after `played_ms` of a turn's audio. */
export function progressMarkName(turn_id: string, played_ms: number): string {
  return `baton:${turn_id}:${played_ms}`;
}

export class Playout {
  private readonly frame = new Uint8Array(FRAME_BYTES);
  private fill = 0;
  /** The turn whose audio is being framed; undefined between turns. */
  private turn_id: string | undefined;
  private sentBytes = 0;
  private nextMarkBytes = 0;
  private readonly markIntervalBytes: number;
  private readonly marks = new Map<string, PendingMark>();
  private framesSent = 0;

  constructor(private readonly opts: PlayoutOptions) {
    this.markIntervalBytes = audioBytes(FORMAT, opts.markIntervalMs ?? MARK_INTERVAL_MS);
  }

  get outstandingMarks(): number {
    return this.marks.size;
  }

  get mediaFramesSent(): number {
    return this.framesSent;
  }

  /** One `audio.out` of `turn_id`: whole 20 ms frames go out now, the rest waits for more audio or the turn's end. */
  audio(turn_id: string, audio: Uint8Array): void {
    this.enterTurn(turn_id);
    let offset = 0;
    while (offset < audio.length) {
      const take = Math.min(FRAME_BYTES - this.fill, audio.length - offset);
      this.frame.set(audio.subarray(offset, offset + take), this.fill);
      this.fill += take;
      offset += take;
      if (this.fill === FRAME_BYTES) this.flushFrame();
    }
  }

  /** `output.end`: the last partial frame goes out as it is, then the mark whose echo completes the turn. */
  end(turn_id: string): void {
    this.enterTurn(turn_id);
    if (this.fill > 0) this.flushFrame();
    this.placeMark(endMarkName(turn_id), { turn_id, played_ms: this.playedMs(), completes: true });
    this.turn_id = undefined;
  }

  /** `output.clear`: the gateway drops what it buffered; the marks it echoes back for that audio mean nothing played. */
  clear(turn_id: string): void {
    this.opts.write(clearFrame(this.opts.streamSid), 'control');
    this.forget(turn_id);
  }

  /** `turn.closed`: echoes that arrive later are not acknowledgements of anything. */
  closed(turn_id: string): void {
    this.forget(turn_id);
  }

  /** Maps an echoed mark to the acknowledgement it stands for; undefined for a mark that is not (or no longer) ours. */
  echo(name: string): PlaybackAck | undefined {
    const mark = this.marks.get(name);
    if (!mark) return undefined;
    this.marks.delete(name);
    return { kind: mark.completes ? 'playback.completed' : 'playback.mark', turn_id: mark.turn_id, played_ms: mark.played_ms };
  }

  private enterTurn(turn_id: string): void {
    if (this.turn_id === turn_id) return;
    // A turn that ended without output.end or output.clear (an abort) leaves less than one frame behind: dropped.
    this.turn_id = turn_id;
    this.fill = 0;
    this.sentBytes = 0;
    this.nextMarkBytes = this.markIntervalBytes;
  }

  private forget(turn_id: string): void {
    for (const [name, mark] of this.marks) if (mark.turn_id === turn_id) this.marks.delete(name);
    if (this.turn_id === turn_id) {
      this.turn_id = undefined;
      this.fill = 0;
    }
  }

  private flushFrame(): void {
    const bytes = this.fill;
    this.fill = 0;
    if (!this.opts.write(mediaFrame(this.opts.streamSid, this.frame.subarray(0, bytes)), 'data')) return;
    this.framesSent += 1;
    this.sentBytes += bytes;
    if (this.sentBytes >= this.nextMarkBytes) {
      const played_ms = this.playedMs();
      this.placeMark(progressMarkName(this.turn_id!, played_ms), { turn_id: this.turn_id!, played_ms, completes: false });
      this.nextMarkBytes = this.sentBytes + this.markIntervalBytes;
    }
  }

  /** Whole ms of this turn's audio written so far (what the gateway will have played when it echoes the next mark). */
  private playedMs(): number {
    return Math.floor(audioMs(FORMAT, this.sentBytes));
  }

  private placeMark(name: string, mark: PendingMark): void {
    if (this.marks.size >= MAX_OUTSTANDING_MARKS) this.marks.delete(this.marks.keys().next().value!);
    this.marks.set(name, mark);
    this.opts.write(markFrame(this.opts.streamSid, name), 'control');
  }
}
