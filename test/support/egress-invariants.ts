// The kernel invariants of DESIGN 4, 6, 7, 8 and 9 as checks over what a
// session emitted. Each check returns the violations it found, as sentences
// naming the event (seq, kind, turn) that broke the rule; an empty list means
// the stream is fine. They read only the observed streams and the notes the
// runner kept about what it did; never kernel internals, except lane depths.
import { ABORT_REASONS, type AnyEnvelope, type Kind, LANES, audioMs, decodeBinary } from '../../api/eventabi/index.js';
import { FORMAT, RECONNECT_GRACE_MS, type Step, type World, describeEvent, turnsOf } from './commands.js';
import type { Gateway, Observed } from './invariant-kernel.js';

/** Control events that tell a gateway to stop: the only kinds a kernel that lost authority may still send. */
export const STOP_KINDS: ReadonlySet<Kind> = new Set<Kind>(['output.clear', 'turn.aborted', 'turn.closed', 'session.ended', 'error']);
const PRE_TURN_KINDS: ReadonlySet<Kind> = new Set<Kind>(['turn.rejected', 'turn.deferred', 'turn.stale_epoch']);
const SESSION_KINDS: ReadonlySet<Kind> = new Set<Kind>(['session.started', 'session.ended', 'error', 'flow.xoff', 'flow.xon', 'drop.notice']);
const TURN_KINDS: ReadonlySet<Kind> = new Set<Kind>([
  'turn.opened',
  'turn.active',
  'turn.committed',
  'turn.aborted',
  'turn.closed',
  'audio.out',
  'output.end',
  'output.clear',
]);
const CANCELLING: ReadonlySet<Step['cmd']['t']> = new Set(['cancel.turn', 'cancel.session', 'session.end']);

function ordinalOf(turn_id: string): number | undefined {
  const m = /^t-([1-9][0-9]*)$/.exec(turn_id);
  return m ? Number(m[1]) : undefined;
}

type Phase = 'opened' | 'active' | 'terminal' | 'closed';

interface TurnState {
  phase: Phase;
  cleared: boolean;
  outputEnd: number | undefined;
  audioMs: number;
}

/** True when the lease of the session was no longer held when `obs` (at `index` in `passed`) was sent. */
function afterLoss(world: World, s: number, obs: Observed, index: number): boolean {
  const lost = world.notes[s]!.lost;
  if (!lost) return false;
  return lost.how === 'transfer' ? index >= lost.index : obs.at >= lost.deadline;
}

/**
 * Every rule about one session's complete egress stream (every event that
 * passed the last hop): seq, epoch, turn lifecycle shape, fence, authority,
 * pre-turn outcomes, accounting of generated and played time.
 */
export function streamViolations(world: World, s: number): string[] {
  const g = world.gateways[s]!;
  const passed = g.passed;
  const out: string[] = [];
  const say = (obs: Observed, why: string): void => {
    out.push(`${g.id}: ${describeEvent(obs.event)}: ${why}`);
  };
  const first = passed[0];
  if (!first || first.event.kind !== 'session.started') return [`${g.id}: the stream does not begin with session.started`];
  const heldEpoch = first.event.payload.epoch;
  const turns = new Map<string, TurnState>();
  let lastOrdinal = 0;
  let endedAt: number | undefined;
  passed.forEach((obs, i) => {
    const e = obs.event;
    if (e.seq !== i + 1) say(obs, `seq ${e.seq} where ${i + 1} was due (egress seq must rise by exactly 1)`);
    if (e.epoch !== heldEpoch) say(obs, `epoch ${e.epoch} is not the epoch ${heldEpoch} this kernel held`);
    if (e.kind === 'session.started' && e.payload.epoch !== heldEpoch) say(obs, `session.started names epoch ${e.payload.epoch}, held ${heldEpoch}`);
    if (endedAt !== undefined) say(obs, `sent after session.ended (#${endedAt})`);
    if (e.kind === 'session.ended') endedAt = e.seq;
    if (afterLoss(world, s, obs, i) && !STOP_KINDS.has(e.kind)) say(obs, 'sent after this kernel lost the lease (only stop kinds may follow a loss)');
    // turn_id scoping
    if (PRE_TURN_KINDS.has(e.kind) || SESSION_KINDS.has(e.kind)) {
      if (e.turn_id !== '') say(obs, 'a pre-turn outcome or session event carries a turn_id');
      return;
    }
    if (e.kind === 'transcript') {
      if (e.payload.role === 'user') {
        if (e.turn_id !== '') say(obs, 'a user transcript carries a turn_id');
        return;
      }
      if (e.turn_id === '') {
        say(obs, 'an assistant transcript carries no turn_id');
        return;
      }
    } else if (TURN_KINDS.has(e.kind) && e.turn_id === '') {
      say(obs, 'a turn-scoped event carries no turn_id');
      return;
    }
    const id = e.turn_id;
    let turn = turns.get(id);
    if (e.kind === 'turn.opened') {
      if (turn) {
        say(obs, 'turn.opened twice for one turn');
        return;
      }
      const ordinal = ordinalOf(id);
      if (ordinal !== lastOrdinal + 1) say(obs, `turn ordinal ${ordinal} after t-${lastOrdinal} (turn ids are t-1, t-2, ...)`);
      lastOrdinal = ordinal ?? lastOrdinal;
      for (const [other, state] of turns) if (state.phase !== 'closed') say(obs, `opened while ${other} is still open (one active turn per session)`);
      turns.set(id, { phase: 'opened', cleared: false, outputEnd: undefined, audioMs: 0 });
      return;
    }
    if (!turn) {
      say(obs, 'names a turn that was never opened (no terminal or output without turn.opened)');
      return;
    }
    if (turn.phase === 'closed') {
      say(obs, 'sent after turn.closed of its turn');
      return;
    }
    switch (e.kind) {
      case 'turn.active':
        if (turn.phase !== 'opened') say(obs, `turn.active in phase ${turn.phase}`);
        turn.phase = 'active';
        return;
      case 'audio.out':
      case 'transcript':
      case 'output.end':
        if (turn.phase !== 'active') say(obs, `turn output in phase ${turn.phase} (output belongs between turn.active and the terminal)`);
        if (turn.cleared) say(obs, "turn output after that turn's output.clear");
        if (turn.outputEnd !== undefined) say(obs, 'turn output after output.end');
        if (e.kind === 'audio.out') turn.audioMs += audioMs(FORMAT, e.payload.audio.length);
        if (e.kind === 'output.end') turn.outputEnd = e.payload.generated_ms;
        return;
      case 'output.clear':
        if (turn.phase !== 'active') say(obs, `output.clear in phase ${turn.phase} (it must precede turn.aborted)`);
        if (turn.cleared) say(obs, 'a second output.clear for one turn');
        turn.cleared = true;
        return;
      case 'turn.committed': {
        if (turn.phase !== 'active') say(obs, `turn.committed in phase ${turn.phase} (exactly one terminal, after turn.active)`);
        if (turn.cleared) say(obs, 'turn.committed after output.clear');
        if (turn.outputEnd === undefined) say(obs, 'turn.committed without output.end');
        else if (e.payload.generated_ms !== turn.outputEnd) say(obs, `generated_ms ${e.payload.generated_ms} differs from output.end.generated_ms ${turn.outputEnd}`);
        if (e.payload.played_ms > e.payload.generated_ms) say(obs, `played_ms ${e.payload.played_ms} exceeds generated_ms ${e.payload.generated_ms}`);
        if (Math.abs(turn.audioMs - e.payload.generated_ms) > 1e-6) say(obs, `the turn sent ${turn.audioMs} ms of audio.out but committed generated_ms ${e.payload.generated_ms}`);
        turn.phase = 'terminal';
        return;
      }
      case 'turn.aborted': {
        if (turn.phase !== 'active') say(obs, `turn.aborted in phase ${turn.phase} (exactly one terminal, after turn.active)`);
        if (e.payload.played_ms > turn.audioMs + 1e-6) say(obs, `played_ms ${e.payload.played_ms} exceeds the ${turn.audioMs} ms of audio sent`);
        if (!(ABORT_REASONS as readonly string[]).includes(e.payload.reason)) say(obs, `unknown abort reason ${e.payload.reason}`);
        turn.phase = 'terminal';
        return;
      }
      case 'turn.closed':
        if (turn.phase !== 'terminal') say(obs, `turn.closed in phase ${turn.phase} (closed only after exactly one terminal)`);
        turn.phase = 'closed';
        return;
      default:
        say(obs, 'unexpected turn-scoped kind');
    }
  });
  return out;
}

/** The gateway's own view: a gap-free, in-order part of the stream, nothing while detached. */
export function gatewayViolations(g: Gateway): string[] {
  const out: string[] = [];
  let prev: Observed | undefined;
  for (const obs of g.received) {
    const e = obs.event;
    const passed = g.passed[e.seq - 1];
    if (!passed || passed.event !== e) out.push(`${g.id}: ${describeEvent(e)}: the gateway got an event that is not #${e.seq} of the stream`);
    else if (Buffer.compare(Buffer.from(passed.frame), Buffer.from(obs.frame)) !== 0) out.push(`${g.id}: ${describeEvent(e)}: frame bytes differ from the event`);
    if (prev) {
      if (e.seq <= prev.event.seq) out.push(`${g.id}: ${describeEvent(e)}: seq not above the previous ${prev.event.seq}`);
      else if (prev.conn === obs.conn && e.seq !== prev.event.seq + 1) out.push(`${g.id}: ${describeEvent(e)}: gap after #${prev.event.seq} on one connection`);
    }
    prev = obs;
  }
  // Each connection starts with session.started (DESIGN 4.1: sent again on each connection).
  const seen = new Set<number>();
  for (const obs of g.received) {
    if (seen.has(obs.conn)) continue;
    seen.add(obs.conn);
    if (obs.event.kind !== 'session.started') out.push(`${g.id}: connection ${obs.conn} began with ${describeEvent(obs.event)}, not session.started`);
  }
  for (const obs of g.strayWrites) out.push(`${g.id}: ${describeEvent(obs.event)}: written to connection ${obs.conn}, which was no longer attached`);
  if (!g.everDetached && g.received.length !== g.passed.length) {
    out.push(`${g.id}: never detached, yet the gateway received ${g.received.length} of ${g.passed.length} events`);
  }
  return out;
}

/** Lane depths within capacity (DESIGN 7). */
export function laneViolations(g: Gateway): string[] {
  const out: string[] = [];
  for (const lane of LANES) {
    const depth = g.session.lanes.depth(lane);
    const capacity = g.session.lanes.capacity(lane);
    if (depth > capacity) out.push(`${g.id}: ${lane} lane depth ${depth} exceeds its capacity ${capacity}`);
  }
  return out;
}

/**
 * Why each turn aborted, against what the run did (DESIGN 6): a cancel,
 * barge-in or session end aborts `cancelled`; after a lease loss only
 * `authority_lost` (it beats every other reason that holds at the same time);
 * `transport_lost` only once no stream has been attached for
 * reconnect_grace_ms; provider and node failures only where the pipeline
 * fails; `evidence_unavailable` never (the in-memory timeline never refuses).
 */
export function abortReasonViolations(world: World, step: Step): string[] {
  const out: string[] = [];
  world.gateways.forEach((g, s) => {
    const from = step.before[s]!;
    g.passed.slice(from, step.after[s]).forEach((obs, k) => {
      const event = obs.event;
      if (event.kind !== 'turn.aborted') return;
      const reason = event.payload.reason;
      const say = (why: string): void => {
        out.push(`${g.id}: ${describeEvent(event)}: ${why}`);
      };
      const mine = step.s === s;
      const variant = world.notes[s]!.variant;
      if (afterLoss(world, s, obs, from + k) && reason !== 'authority_lost') say(`aborted ${reason} after the lease was lost (authority_lost takes precedence)`);
      if (mine && step.cmd.t === 'lease.transfer' && reason !== 'authority_lost') say(`aborted by a lease transfer with reason ${reason}, not authority_lost`);
      if (mine && CANCELLING.has(step.cmd.t) && reason !== 'cancelled') say(`aborted by ${step.cmd.t} with reason ${reason}, not cancelled`);
      const bargeIn = mine && step.cmd.t === 'speech.started';
      if (reason === 'cancelled' && !(mine && CANCELLING.has(step.cmd.t)) && !bargeIn && variant !== 'demo-confirmed') {
        say(`aborted cancelled during ${step.cmd.t}, which cancels nothing of this session`);
      }
      if (reason === 'transport_lost') {
        if (obs.detachedSince === undefined) say('aborted transport_lost while a stream was attached');
        else if (obs.at - obs.detachedSince < RECONNECT_GRACE_MS) say(`aborted transport_lost ${obs.at - obs.detachedSince} ms after the stream went away (grace ${RECONNECT_GRACE_MS} ms)`);
      }
      if (reason === 'provider_failure' && variant !== 'demo-provider-fail') say(`provider_failure in pipeline ${variant}, whose providers never fail for good`);
      if (reason === 'node_failure' && variant !== 'demo-node-throw') say(`node_failure in pipeline ${variant}, whose nodes never throw`);
      if (reason === 'evidence_unavailable') say('evidence_unavailable with an in-memory timeline that never refuses');
    });
  });
  return out;
}

/** Everything checked after each command. */
export function invariantViolations(world: World, _step: Step): string[] {
  const out: string[] = [];
  world.gateways.forEach((g, s) => {
    out.push(...streamViolations(world, s), ...gatewayViolations(g), ...laneViolations(g));
  });
  return out;
}

/** At the end of a run: every opened turn closed, on the stream and in the session. */
export function unclosedTurns(world: World): string[] {
  const out: string[] = [];
  for (const g of world.gateways) {
    for (const turn of turnsOf(g.passed).values()) {
      if (!turn.closed) out.push(`${g.id}: ${turn.id} was opened and never closed (${turn.lifecycle.map((l) => l.kind).join(', ')})`);
    }
    const open = g.session.snapshot().active_turn;
    if (open) out.push(`${g.id}: the session still holds active turn ${open.turn_id}`);
  }
  return out;
}

/** Every frame a gateway received decodes under the Event ABI to the event the kernel meant to send. */
export function undecodableFrames(world: World): string[] {
  const out: string[] = [];
  for (const g of world.gateways) {
    for (const obs of g.received) {
      const decoded = decodeBinary(obs.frame);
      if (!decoded.ok) out.push(`${g.id}: ${describeEvent(obs.event)}: the gateway cannot decode it: ${decoded.error.code}: ${decoded.error.message}`);
      else if (decoded.event.kind !== obs.event.kind || decoded.event.seq !== obs.event.seq) out.push(`${g.id}: ${describeEvent(obs.event)}: decodes as #${decoded.event.seq} ${decoded.event.kind}`);
    }
  }
  return out;
}

export function kindsOf(events: readonly { event: AnyEnvelope }[]): string[] {
  return events.map(({ event }) => `${event.kind}${event.turn_id ? `(${event.turn_id})` : ''}`);
}
