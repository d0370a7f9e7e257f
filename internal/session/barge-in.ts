// Barge-in policies, chosen by the frozen plan (DESIGN 6): what caller speech
// does to a turn that is speaking. `immediate` cancels at once; `confirmed`
// holds the output and cancels only if the caller keeps talking for
// `min_speech_ms`, else resumes, so a backchannel "mm-hmm" does not destroy
// the answer. A policy decides; cancelling is the session's.
import type { Clock, TimerHandle } from '../determinism/clock.js';
import type { BargeInPolicy as BargeInPlan } from '../plan/types.js';

/** The turn a policy acts on, as the policy sees it. */
export interface SpeakingTurn {
  readonly turn_id: string;
  readonly isClosed: boolean;
  readonly fenced: boolean;
  pause(): void;
  resume(): void;
}

export interface BargeInDeps {
  clock: Clock;
  /** Cancels the turn for barge-in (the session records and fences). */
  cancel(turn: SpeakingTurn): void;
  /** A held turn resumed because the speech was too short. */
  resumed(turn: SpeakingTurn): void;
}

export interface BargeInPolicy {
  /** Caller speech started; `turn` is the one speaking, if any. */
  speechStarted(turn: SpeakingTurn | undefined): void;
  /** Caller speech stopped. True when this resumed a held turn (the stop was a backchannel's end, not a turn's). */
  speechStopped(): boolean;
  /** The turn closed or the session ended: nothing may fire later. */
  reset(): void;
}

export function bargeInPolicy(plan: Readonly<BargeInPlan>, deps: BargeInDeps): BargeInPolicy {
  return plan.mode === 'immediate' ? immediateBargeIn(deps) : confirmedBargeIn(plan.min_speech_ms, deps);
}

function canInterrupt(turn: SpeakingTurn | undefined): turn is SpeakingTurn {
  return turn !== undefined && !turn.isClosed && !turn.fenced;
}

/** Caller speech cancels the speaking turn at once. */
export function immediateBargeIn(deps: BargeInDeps): BargeInPolicy {
  return {
    speechStarted(turn) {
      if (canInterrupt(turn)) deps.cancel(turn);
    },
    speechStopped: () => false,
    reset: () => undefined,
  };
}

/** Output holds on speech; the turn is cancelled only if the speech lasts `minSpeechMs`. */
export function confirmedBargeIn(minSpeechMs: number, deps: BargeInDeps): BargeInPolicy {
  let speaking = false;
  let held: { turn: SpeakingTurn; timer: TimerHandle } | undefined;
  const release = (): void => {
    if (held) deps.clock.clearTimer(held.timer);
    held = undefined;
  };
  return {
    speechStarted(turn) {
      speaking = true;
      if (!canInterrupt(turn)) return;
      turn.pause();
      release();
      const timer = deps.clock.setTimer(minSpeechMs, () => {
        held = undefined;
        if (speaking && !turn.isClosed) deps.cancel(turn);
      });
      held = { turn, timer };
    },
    speechStopped() {
      speaking = false;
      if (!held) return false;
      const { turn } = held;
      release();
      deps.resumed(turn);
      turn.resume();
      return true;
    },
    reset: release,
  };
}
