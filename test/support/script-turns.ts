// Driving turns of a simulation kernel whose script nodes run on a real
// worker tier: the worker answers in wall time while the kernel runs on its
// virtual clock, so every wait here steps the clock and yields to the worker
// in turn. It never decides an outcome; the tests read what the kernel sent.
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import type { SimulatedGateway, SimulationKernel } from '../../internal/kernel/simulation.js';

/** How long a turn may take to close, in wall time, before the wait gives up and names what the turn sent. */
const CLOSE_WAIT_MS = 20_000;

/** Events as `kind` or `kind(reason)`, for failure messages. */
export function describeEvents(events: readonly AnyEnvelope[]): string {
  return events.map((e) => `${e.kind}${'reason' in e.payload ? `(${String(e.payload.reason)})` : ''}`).join(' ');
}

/** Advances the virtual clock until one of the turn's events satisfies `seen`: the worker answers in real time, so each step also waits for it. */
async function untilSeen(sim: SimulationKernel, s: SimulatedGateway, turn_id: string, seen: (e: AnyEnvelope) => boolean, what: string): Promise<AnyEnvelope[]> {
  const deadline = Date.now() + CLOSE_WAIT_MS;
  while (!s.ofTurn(turn_id).some(seen)) {
    if (Date.now() > deadline) throw new Error(`turn ${turn_id} did not reach ${what}: ${describeEvents(s.ofTurn(turn_id))}`);
    await sim.advance(20);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return s.ofTurn(turn_id);
}

/** Advances the virtual clock until the turn closes. */
export function untilClosed(sim: SimulationKernel, s: SimulatedGateway, turn_id: string): Promise<AnyEnvelope[]> {
  return untilSeen(sim, s, turn_id, (e) => e.kind === 'turn.closed', 'turn.closed');
}

/** Sends `turn.request{text}` and returns the turn it opened; a refusal throws with what the gateway received. */
export function request(s: SimulatedGateway, text: string): string {
  const before = s.out.length;
  s.send('turn.request', { text });
  const opened = s.out.slice(before).find((e) => e.kind === 'turn.opened');
  if (!opened) throw new Error(`no turn opened: ${describeEvents(s.out.slice(before))}`);
  return opened.turn_id;
}

/** Waits for a turn to close; once its output ends, the gateway acknowledges the playback in full, so the turn need not wait out its playback timeout. */
export async function finish(sim: SimulationKernel, s: SimulatedGateway, turn_id: string): Promise<{ reply: string; kinds: string[]; turn_id: string }> {
  const events = await untilSeen(sim, s, turn_id, (e) => e.kind === 'output.end' || e.kind === 'turn.closed', 'output.end or turn.closed');
  const end = events.find((e) => e.kind === 'output.end');
  if (end) s.send('playback.completed', { played_ms: end.payload.generated_ms }, { turn_id });
  await untilClosed(sim, s, turn_id);
  const final = s.ofTurn(turn_id).find((e) => e.kind === 'transcript' && e.payload.role === 'assistant' && e.payload.final);
  return { reply: final?.kind === 'transcript' ? final.payload.text : '', kinds: s.ofTurn(turn_id).map((e) => e.kind), turn_id };
}

/** One whole turn from a text request: its assistant reply, the kinds the gateway saw, its id. */
export async function say(sim: SimulationKernel, s: SimulatedGateway, text: string): Promise<{ reply: string; kinds: string[]; turn_id: string }> {
  return finish(sim, s, request(s, text));
}
