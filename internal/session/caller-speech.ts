// The caller's speech as one session sees it: speech starts and stops from
// the gateway (speech.started/stopped) or from the session's own detector
// (node turn detection, fed with caller audio), the barge-in policy they
// drive, and the end of speech that proposes a turn under the plan's turn
// detection. It decides when speech means "cancel" or "propose"; the session
// does both.
import { type AudioFormat, audioMs } from '../../api/eventabi/index.js';
import type { Clock } from '../determinism/clock.js';
import type { Vad } from '../nodes/index.js';
import { sessionTurnDetector } from '../nodes/turn-detection.js';
import type { FrozenPlan } from '../plan/types.js';
import { type BargeInPolicy, type SpeakingTurn, bargeInPolicy } from './barge-in.js';
import type { ProposalSource } from './proposals.js';
import type { SessionRecorder } from './recorder.js';

export interface CallerSpeechDeps {
  plan: FrozenPlan;
  format: AudioFormat;
  clock: Clock;
  recorder: SessionRecorder;
  /** The turn speaking now, if any. */
  speaking: () => SpeakingTurn | undefined;
  /** True when `epoch` is the session's current epoch. */
  epochCurrent: (epoch: number) => boolean;
  cancelForBargeIn: (turn: SpeakingTurn) => void;
  propose: (source: ProposalSource, epoch: number) => void;
  /** The plan's detector is misconfigured: node turn detection is off. */
  onDetectorProblem: (problem: string) => void;
}

export class CallerSpeech {
  private readonly bargeIn: BargeInPolicy;
  /** Node-side end-of-turn detection (turn_detection `node`). */
  private readonly vad: Vad | undefined;
  /** Caller audio received so far, in ms: the detector's timebase (gateways may omit media_ms). */
  private mediaMs = 0;

  constructor(private readonly deps: CallerSpeechDeps) {
    this.bargeIn = bargeInPolicy(deps.plan.barge_in, {
      clock: deps.clock,
      cancel: deps.cancelForBargeIn,
      resumed: (turn) => deps.recorder.decision('barge_in', 'resumed', 'speech_shorter_than_min_speech_ms', {}, turn.turn_id),
    });
    this.vad = sessionTurnDetector(deps.plan, deps.format, deps.onDetectorProblem);
  }

  /** The gateway says the caller started speaking (handled at ingress: barge-in never waits in a lane). */
  gatewayStarted(): void {
    this.bargeIn.speechStarted(this.deps.speaking());
  }

  /** The gateway says the caller stopped. Under gateway detection this is a proposal the ingress gate left the epoch of to us. */
  gatewayStopped(epoch: number): void {
    // A stale one is answered like any stale proposal and changes nothing else.
    if (this.deps.plan.turn_detection === 'gateway' && !this.deps.epochCurrent(epoch)) {
      this.deps.propose('speech.stopped', epoch);
      return;
    }
    this.stopped(epoch, 'speech.stopped');
  }

  /** One frame of caller audio, in order: the session's own detector hears it. */
  audio(frame: Uint8Array, epoch: number): void {
    const at = this.mediaMs;
    this.mediaMs += audioMs(this.deps.format, frame.length);
    const change = this.vad?.push(frame, at);
    if (change === undefined) return;
    this.deps.recorder.decision('vad', change, '', { media_ms: String(Math.round(at)) }, this.deps.speaking()?.turn_id);
    if (change === 'speech_started') this.bargeIn.speechStarted(this.deps.speaking());
    else this.stopped(epoch, 'vad');
  }

  /** The turn closed or the session ended: no barge-in timer may fire later. */
  reset(): void {
    this.bargeIn.reset();
  }

  private stopped(epoch: number, source: 'speech.stopped' | 'vad'): void {
    // The end of a backchannel resumes the held turn; it proposes nothing.
    if (this.bargeIn.speechStopped()) return;
    const detector = source === 'vad' ? 'node' : 'gateway';
    if (this.deps.plan.turn_detection === detector && !this.deps.speaking()) this.deps.propose(source, epoch);
  }
}
