// The pre-turn gate: decides whether a proposed turn may open, checking in
// DESIGN 6's order (1) admission, (2) authority, (3) plan freeze. A candidate
// rejected at any step never reaches a later one, so a rejected candidate
// never triggers plan work. It creates no turn and emits nothing itself.
import { staleEpochReason } from '../../api/eventabi/vocabulary.js';
import type { FrozenPlan } from '../plan/types.js';

export interface AdmissionTicketLike {
  release(): void;
}

export type AdmissionCheck =
  | { admitted: true; ticket: AdmissionTicketLike }
  | { admitted: false; outcome: 'rejected' | 'deferred'; reason: string };

export type FreezeCheck = { ok: true; plan: FrozenPlan } | { ok: false; reason: string };

export interface PreTurnChecks {
  admit(): AdmissionCheck;
  /** True when `epoch` is the current lease epoch and the lease is held and unexpired locally. */
  authoritative(epoch: number): boolean;
  currentEpoch(): number;
  freeze(): FreezeCheck;
}

export type PreTurnDecision =
  | { outcome: 'opened'; plan: FrozenPlan; ticket: AdmissionTicketLike }
  | { outcome: 'rejected' | 'deferred' | 'stale_epoch'; reason: string; step: 'state' | 'admission' | 'authority' | 'plan' };

export function decidePreTurn(epoch: number, checks: PreTurnChecks): PreTurnDecision {
  const admission = checks.admit();
  if (!admission.admitted) return { outcome: admission.outcome, reason: admission.reason, step: 'admission' };
  if (!checks.authoritative(epoch)) {
    admission.ticket.release();
    return { outcome: 'stale_epoch', reason: staleEpochReason(epoch, checks.currentEpoch()), step: 'authority' };
  }
  const frozen = checks.freeze();
  if (!frozen.ok) {
    admission.ticket.release();
    return { outcome: 'rejected', reason: frozen.reason, step: 'plan' };
  }
  return { outcome: 'opened', plan: frozen.plan, ticket: admission.ticket };
}
