// Turn proposals of one session: the session's own refusals (ending, a turn
// already active, a stale epoch while one is), then the pre-turn gate
// (admission, authority, plan freeze). Every refusal is recorded and answered
// on the stream with its pre-turn outcome and no terminal; a proposal that
// passes is recorded and handed back to open the turn. It opens nothing itself.
import { PRE_TURN_REASONS, staleEpochReason } from '../../api/eventabi/index.js';
import type { Metrics } from '../observe/metrics.js';
import { type AdmissionTicketLike, type PreTurnChecks, type PreTurnDecision, decidePreTurn } from '../turn/gate.js';
import type { FrozenPlan } from '../plan/types.js';
import type { SessionEgress } from './egress.js';
import type { SessionRecorder } from './recorder.js';

export interface SessionAuthority {
  readonly epoch: number;
  isAuthoritative(epoch?: number): boolean;
}

export type ProposalSource = 'turn.request' | 'speech.stopped' | 'vad' | 'grpc';

export type RefusalOutcome = 'rejected' | 'deferred' | 'stale_epoch';

/** Where a refused proposal stopped: the session's own state, or a step of the pre-turn gate. */
type RefusalStep = 'state' | Extract<PreTurnDecision, { step: string }>['step'];

export interface TurnDecisionResult {
  outcome: 'opened' | RefusalOutcome;
  turn_id: string;
  reason: string;
  plan_hash: string;
}

export type ProposalVerdict =
  | { readonly outcome: 'opened'; readonly plan: FrozenPlan; readonly ticket: AdmissionTicketLike }
  | { readonly outcome: RefusalOutcome; readonly answered: TurnDecisionResult };

export interface ProposalDeps {
  authority: SessionAuthority;
  admitTurn: PreTurnChecks['admit'];
  freeze: PreTurnChecks['freeze'];
  recorder: SessionRecorder;
  egress: SessionEgress;
  metrics?: Metrics | undefined;
}

const REFUSAL_KINDS = { rejected: 'turn.rejected', deferred: 'turn.deferred', stale_epoch: 'turn.stale_epoch' } as const;

/** True when `epoch` is the session's current lease epoch and this kernel holds it. */
export function epochCurrent(authority: SessionAuthority, epoch: number): boolean {
  return epoch !== 0 && authority.isAuthoritative(epoch);
}

/** The epoch this kernel may speak with now, 0 when it holds none. */
export function currentEpoch(authority: SessionAuthority): number {
  return authority.isAuthoritative() ? authority.epoch : 0;
}

export class TurnProposals {
  constructor(private readonly deps: ProposalDeps) {}

  /** Decides one proposal. `state` is the session's: whether it is still open and whether a turn is active. */
  decide(source: ProposalSource, epoch: number, state: { open: boolean; turnActive: boolean }): ProposalVerdict {
    const { authority, recorder } = this.deps;
    if (!state.open) return this.refuse('rejected', PRE_TURN_REASONS.sessionEnding, 'state', source);
    // DESIGN 4.1: the epoch decides before state, so a stale holder learns to refresh authority.
    if (state.turnActive && !epochCurrent(authority, epoch)) return this.refuse('stale_epoch', staleEpochReason(epoch, currentEpoch(authority)), 'authority', source);
    if (state.turnActive) return this.refuse('rejected', PRE_TURN_REASONS.turnActive, 'state', source);
    const decision = decidePreTurn(epoch, {
      admit: this.deps.admitTurn,
      authoritative: (e) => epochCurrent(authority, e),
      currentEpoch: () => currentEpoch(authority),
      freeze: this.deps.freeze,
    });
    if (decision.outcome !== 'opened') return this.refuse(decision.outcome, decision.reason, decision.step, source);
    recorder.decision('admission', 'admitted', '', { source });
    recorder.decision('authority', 'held', '', { epoch: String(epoch) });
    return decision;
  }

  /** Counts one decided proposal: how long it took and how it ended. */
  observe(result: TurnDecisionResult, seconds: number): void {
    this.deps.metrics?.turnOpenSeconds.observe(seconds);
    this.deps.metrics?.preTurnOutcomes.inc({ outcome: result.outcome, reason: result.outcome === 'opened' ? '' : result.reason });
  }

  private refuse(outcome: RefusalOutcome, reason: string, step: RefusalStep, source: ProposalSource): ProposalVerdict {
    this.record(step, outcome, reason, source);
    this.deps.egress.sendSessionEvent(REFUSAL_KINDS[outcome], { reason });
    return { outcome, answered: { outcome, turn_id: '', reason, plan_hash: '' } };
  }

  /** The refusal's decision record: each step refuses with the outcomes the decision table gives it. */
  private record(step: RefusalStep, outcome: RefusalOutcome, reason: string, source: ProposalSource): void {
    const { recorder } = this.deps;
    const detail = { source };
    switch (step) {
      case 'state':
        recorder.decision('state', 'rejected', reason, detail);
        return;
      case 'plan':
        recorder.decision('plan', 'rejected', reason, detail);
        return;
      case 'authority':
        recorder.decision('authority', 'stale_epoch', reason, detail);
        return;
      case 'admission':
        recorder.decision('admission', outcome === 'deferred' ? 'deferred' : 'rejected', reason, detail);
        return;
    }
  }
}

