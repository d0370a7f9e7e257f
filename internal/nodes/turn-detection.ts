// Where a frozen plan says caller speech is detected: builds the energy VAD
// from the plan's `vad_energy` node. The session (node turn detection) and the
// media-streams adapter (which acts as the gateway's VAD) both take their
// detector from here, so the plan is read in one place. It never runs audio.
import type { AudioFormat } from '../../api/eventabi/audio-format.js';
import type { FrozenPlan } from '../plan/types.js';
import { DEFAULT_VAD, type Vad, type VadOptions, createVad, vadOptionsFromConfig } from './builtin/vad-energy.js';

export type SpeechDetectorSettings =
  | { readonly ok: true; readonly options: VadOptions }
  /** The plan's vad_energy config is invalid: `options` are the defaults, `problem` says why. */
  | { readonly ok: false; readonly options: VadOptions; readonly problem: string };

/** The VAD settings of the plan's `vad_energy` node in `format`, or the defaults when it has none. */
export function speechDetectorSettings(plan: FrozenPlan, format: AudioFormat): SpeechDetectorSettings {
  const node = plan.nodes.find((n) => n.builtin === 'vad_energy');
  const parsed = vadOptionsFromConfig(node?.config, format);
  if (parsed.ok) return { ok: true, options: parsed.value };
  return { ok: false, options: { ...DEFAULT_VAD, format }, problem: parsed.problem };
}

/**
 * The session's own detector under `node` turn detection: a VAD built from
 * the plan's `vad_energy` node. Undefined when the plan detects turns
 * elsewhere, has no such node, or configures it badly (`onProblem` hears why).
 */
export function sessionTurnDetector(plan: FrozenPlan, format: AudioFormat, onProblem: (problem: string) => void): Vad | undefined {
  if (plan.turn_detection !== 'node' || !plan.nodes.some((n) => n.builtin === 'vad_energy')) return undefined;
  const settings = speechDetectorSettings(plan, format);
  if (!settings.ok) {
    onProblem(settings.problem);
    return undefined;
  }
  return createVad(settings.options);
}
