// What the kernel must answer to each command, from the contract (DESIGN 4,
// 4.1, 5.1, 6, 8, 9 and docs/protocol.md): the exact events one command
// produces on its session's stream, given the state the command found. Each
// check returns sentences naming what was expected and what came.
import type { AnyEnvelope } from '../../api/eventabi/index.js';
import { type Step, type World, describeEvent, turnsOf } from './commands.js';
import { STOP_KINDS } from './egress-invariants.js';

function fresh(world: World, step: Step): AnyEnvelope[] {
  const s = step.s!;
  return world.gateways[s]!.passed.slice(step.before[s], step.after[s]).map((o) => o.event);
}

function show(events: readonly AnyEnvelope[]): string {
  return events.length === 0 ? '(nothing)' : events.map(describeEvent).join(' | ');
}

const SHAPE = (e: AnyEnvelope): string => `${e.kind}${e.turn_id ? `(${e.turn_id})` : ''}`;

function expectShape(out: string[], label: string, got: readonly AnyEnvelope[], want: readonly string[]): boolean {
  const shape = got.map(SHAPE);
  if (shape.length === want.length && shape.every((k, i) => k === want[i])) return true;
  out.push(`${label}: expected ${want.length === 0 ? '(nothing)' : want.join(' | ')}, got ${show(got)}`);
  return false;
}

/** The fence sequence of DESIGN 8 for `turn`: output.clear, turn.aborted{reason}, turn.closed. */
function fenceOf(turn: string): string[] {
  return [`output.clear(${turn})`, `turn.aborted(${turn})`, `turn.closed(${turn})`];
}

/**
 * A proposal whose epoch is not current is answered `turn.stale_epoch` and
 * nothing else, whatever state the session is in (protocol.md, "Decision";
 * DESIGN 4.1: the epoch check comes before existence and state checks).
 */
export function staleProposalViolations(world: World, step: Step): string[] {
  const out: string[] = [];
  const { cmd, sent, pre } = step;
  if ((cmd.t !== 'turn.request' && cmd.t !== 'speech.stopped') || !sent?.stale || !pre || pre.ended) return out;
  const got = fresh(world, step);
  const label = `${cmd.t} with stale epoch ${sent.epoch} (current ${world.gateways[step.s!]!.session.epoch}, ${pre.active ? `turn ${pre.active} active` : 'no turn active'})`;
  expectShape(out, label, got, ['turn.stale_epoch']);
  return out;
}

/**
 * Cancels and playback acknowledgements (DESIGN 6, 8, 4.1, protocol.md):
 * - a cancel of the active turn fences it in the same tick: output.clear, turn.aborted{cancelled}, turn.closed;
 * - a cancel or ack naming a closed turn gets error{turn_closed}, an unknown turn error{not_found};
 * - an ack above the audio sent gets error{invalid_payload};
 * - playback.completed after output.end commits with the acknowledged played_ms.
 */
export function commandResponseViolations(world: World, step: Step): string[] {
  const out: string[] = [];
  const { cmd, sent, pre } = step;
  if (step.s === undefined || !pre) return out;
  const g = world.gateways[step.s]!;
  const got = fresh(world, step);
  const closes = g.closes.slice(pre.closes);
  if (pre.ended) {
    if (cmd.t !== 'attach' && cmd.t !== 'detach') expectShape(out, `${cmd.t} to an ended session`, got, []);
    if (cmd.t === 'attach' && (closes.length !== 1 || closes[0]!.code !== 1000)) out.push(`a connection to an ended session must be closed 1000, got ${JSON.stringify(closes)}`);
    return out;
  }
  const errorFor = (id: string): AnyEnvelope | undefined => got.find((e) => e.kind === 'error' && e.payload.ref_id === id);
  const openedBefore = (turn_id: string): boolean => {
    const m = /^t-([0-9]+)$/.exec(turn_id);
    return m !== null && Number(m[1]) <= pre.turnCount;
  };
  const expectError = (label: string, code: string): void => {
    const err = errorFor(sent!.id);
    if (!err || err.kind !== 'error' || err.payload.code !== code) out.push(`${label}: expected error{${code}} naming ${sent!.id}, got ${show(got)}`);
    else if (got.some((e) => e.kind !== 'error')) out.push(`${label}: an error answer changed state too: ${show(got)}`);
  };
  switch (cmd.t) {
    case 'cancel.turn': {
      const turn = sent!.turn_id!;
      if (turn === pre.active) {
        if (expectShape(out, `cancel of active ${turn}`, got, fenceOf(turn))) {
          const [clear, aborted] = got;
          if (clear?.kind === 'output.clear' && clear.payload.reason !== 'caller_cancel') out.push(`cancel of ${turn}: output.clear reason ${clear.payload.reason}`);
          if (aborted?.kind === 'turn.aborted' && aborted.payload.reason !== 'cancelled') out.push(`cancel of ${turn}: aborted ${aborted.payload.reason}, not cancelled`);
        }
      } else if (openedBefore(turn)) expectError(`cancel of closed ${turn}`, 'turn_closed');
      else expectError(`cancel of unknown ${turn}`, 'not_found');
      return out;
    }
    case 'cancel.session':
      expectShape(out, 'cancel{scope: session}', got, pre.active ? fenceOf(pre.active) : []);
      return out;
    case 'session.end':
      expectShape(out, 'session.end', got, [...(pre.active ? fenceOf(pre.active) : []), 'session.ended']);
      return out;
    case 'speech.started':
      if (pre.active && world.notes[step.s]!.variant !== 'demo-confirmed') expectShape(out, `barge-in on ${pre.active}`, got, fenceOf(pre.active));
      return out;
    case 'playback.mark':
    case 'playback.completed': {
      const turn = sent!.turn_id!;
      const played = sent!.played_ms!;
      if (turn !== pre.active) {
        expectError(`${cmd.t} naming ${openedBefore(turn) ? 'closed' : 'unknown'} ${turn}`, openedBefore(turn) ? 'turn_closed' : 'not_found');
        return out;
      }
      if (played > pre.audioMs) {
        expectError(`${cmd.t}{played_ms ${played}} with ${pre.audioMs} ms sent for ${turn}`, 'invalid_payload');
        return out;
      }
      const err = errorFor(sent!.id);
      if (err) out.push(`${cmd.t}{played_ms ${played}} within the ${pre.audioMs} ms sent for ${turn} was refused: ${describeEvent(err)}`);
      // Lower than the previous acknowledgement: ignored (protocol.md).
      if (played < pre.ack) {
        const mine = got.filter((e) => e.turn_id === turn && e.kind.startsWith('turn.'));
        expectShape(out, `${cmd.t}{played_ms ${played}} below the previous acknowledgement ${pre.ack} of ${turn}`, mine, []);
        return out;
      }
      if (cmd.t === 'playback.completed' && pre.outputEnd !== undefined) {
        const mine = got.filter((e) => e.turn_id === turn && e.kind.startsWith('turn.'));
        if (expectShape(out, `playback.completed of ${turn} after output.end`, mine, [`turn.committed(${turn})`, `turn.closed(${turn})`])) {
          const committed = mine[0]!;
          const acked = world.notes[step.s]!.acks.get(turn) ?? 0;
          if (committed.kind === 'turn.committed' && committed.payload.played_ms !== Math.min(acked, pre.outputEnd)) {
            out.push(`${turn} committed played_ms ${committed.payload.played_ms}; the last acknowledgement was ${acked} (generated ${pre.outputEnd})`);
          }
        }
      }
      return out;
    }
    case 'lease.transfer': {
      expectShape(out, 'lease transferred to other-kernel', got, [...(pre.active ? fenceOf(pre.active) : []), 'session.ended']);
      const ended = got.at(-1);
      if (ended?.kind === 'session.ended' && (ended.payload.reason !== 'authority_moved' || ended.payload.owner !== 'other-kernel')) {
        out.push(`lease transfer: session.ended ${JSON.stringify(ended.payload)}, expected {reason: authority_moved, owner: other-kernel}`);
      }
      const aborted = got.find((e) => e.kind === 'turn.aborted');
      if (aborted?.kind === 'turn.aborted' && aborted.payload.reason !== 'authority_lost') out.push(`lease transfer aborted ${pre.active} ${aborted.payload.reason}`);
      if (pre.attached && !g.closes.some((c) => c.code === 4009 && c.reason === 'owner=other-kernel')) {
        out.push(`lease transfer: the stream was not closed 4009 "owner=other-kernel" (closes: ${JSON.stringify(g.closes)})`);
      }
      if (!g.session.ended) out.push('lease transfer: the session did not end');
      return out;
    }
    case 'lease.expire': {
      const lost = world.notes[step.s]!.lost;
      if (!lost || lost.how !== 'expire') return out;
      if (!g.session.ended) out.push(`lease stalled and ${world.kernel.leaseTtlMs + 100} ms passed: the session did not end`);
      const passed = g.passed.slice(step.before[step.s], step.after[step.s]);
      const late = passed.filter((o) => o.at >= lost.deadline);
      const bad = late.filter((o) => !STOP_KINDS.has(o.event.kind));
      if (bad.length > 0) out.push(`after the lease deadline ${lost.deadline}: ${show(bad.map((o) => o.event))}`);
      const ended = late.at(-1)?.event;
      if (!ended || ended.kind !== 'session.ended' || ended.payload.reason !== 'authority_moved' || ended.payload.owner) {
        out.push(`lease expired: the stream must end with session.ended{authority_moved} and no owner, got ${show(late.map((o) => o.event))}`);
      }
      const active = late.find((o) => o.event.kind === 'turn.aborted');
      if (active?.event.kind === 'turn.aborted' && active.event.payload.reason !== 'authority_lost') out.push(`lease expired: aborted ${active.event.payload.reason}`);
      return out;
    }
    case 'turn.request':
    case 'speech.stopped': {
      if (sent?.stale) return out;
      const next = `t-${pre.turnCount + 1}`;
      if (pre.active) {
        const want = cmd.t === 'turn.request' ? ['turn.rejected'] : [];
        expectShape(out, `${cmd.t} while ${pre.active} is active`, got.filter((e) => e.turn_id === '' && e.kind !== 'transcript'), want);
        const rejected = got[0];
        if (rejected?.kind === 'turn.rejected' && rejected.payload.reason !== 'turn_active') out.push(`turn.request while active: rejected ${rejected.payload.reason}`);
      } else {
        const opened = got.filter((e) => e.kind === 'turn.opened' || e.kind === 'turn.active' || e.kind === 'turn.rejected' || e.kind === 'turn.stale_epoch');
        expectShape(out, `${cmd.t} with no turn active`, opened.slice(0, 2), [`turn.opened(${next})`, `turn.active(${next})`]);
      }
      return out;
    }
    case 'attach': {
      // A new connection gets session.started; the one it replaces is closed 4002.
      expectShape(out, 'a new connection', got, ['session.started']);
      const want = pre.attached ? [4002] : [];
      if (closes.length !== want.length || closes.some((c, i) => c.code !== want[i])) out.push(`a new connection ${pre.attached ? 'replacing the attached one' : ''}: closes ${JSON.stringify(closes)}`);
      return out;
    }
    default:
      return out;
  }
}

/**
 * A terminal reports the last acknowledged played_ms (capped at
 * generated_ms): DESIGN 4.1 and 6. The runner tracks every acknowledgement
 * the kernel accepted.
 */
export function playedAccountingViolations(world: World): string[] {
  const out: string[] = [];
  world.gateways.forEach((g, s) => {
    const acks = world.notes[s]!.acks;
    const turns = turnsOf(g.passed);
    for (const { event } of g.passed) {
      if (event.kind !== 'turn.committed' && event.kind !== 'turn.aborted') continue;
      const acked = acks.get(event.turn_id) ?? 0;
      const cap = event.kind === 'turn.committed' ? event.payload.generated_ms : (turns.get(event.turn_id)?.audioMs ?? 0);
      const want = Math.min(acked, cap);
      if (event.payload.played_ms !== want) {
        out.push(`${g.id}: ${describeEvent(event)}: played_ms ${event.payload.played_ms}, but the last acknowledgement the kernel accepted was ${acked} (cap ${cap})`);
      }
    }
  });
  return out;
}
