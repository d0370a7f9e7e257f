// Turn ids of a session (`t-<ordinal>`, ordinals from 1) and what an event
// naming a turn finds: the open turn, a closed one, or none. Turn ids are
// derived from the ordinal, so no table of past turns is kept.
export function turnIdFor(ordinal: number): string {
  return `t-${ordinal}`;
}

export function turnOrdinal(turn_id: string): number | undefined {
  const match = /^t-([1-9][0-9]{0,15})$/.exec(turn_id);
  return match ? Number(match[1]) : undefined;
}

export type TurnLookup<T> = { ok: true; turn: T } | { ok: false; code: 'not_found' | 'turn_closed'; message: string };

/** The turn `turn_id` names: the session's open turn, else closed (an earlier ordinal) or unknown. */
export function lookupTurn<T extends { readonly turn_id: string; readonly isClosed: boolean }>(
  open: T | undefined,
  turnsOpened: number,
  turn_id: string,
): TurnLookup<T> {
  if (open && open.turn_id === turn_id && !open.isClosed) return { ok: true, turn: open };
  const ordinal = turnOrdinal(turn_id);
  if (ordinal !== undefined && ordinal <= turnsOpened) return { ok: false, code: 'turn_closed', message: `turn ${turn_id} is closed` };
  return { ok: false, code: 'not_found', message: `no turn ${turn_id} in this session` };
}
