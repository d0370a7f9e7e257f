// Seeds and seeded random streams (DESIGN 10). Seeds are 53-bit so they are
// exact as JS numbers and as JSON decimal strings; they are valid uint64s on
// the wire. All randomness in the kernel comes from streams made here.
import { createHash } from 'node:crypto';
import seedrandom from 'seedrandom';

const MASK_53 = (1n << 53n) - 1n;

/** First 53 bits of SHA-256 over the parts, joined unambiguously. */
export function hashToSeed(...parts: (string | number)[]): number {
  const hash = createHash('sha256');
  for (const part of parts) {
    const text = String(part);
    hash.update(`${text.length}:${text};`);
  }
  const digest = hash.digest();
  return Number(digest.readBigUInt64BE(0) & MASK_53);
}

/** Session seed = hash(tenant seed, session id). */
export function sessionSeed(tenantSeed: string, sessionId: string): number {
  return hashToSeed('session', tenantSeed, sessionId);
}

/** Turn seed = hash(session seed, turn ordinal, plan hash). */
export function turnSeed(sessionSeedValue: number, turnOrdinal: number, planHash: string): number {
  return hashToSeed('turn', sessionSeedValue, turnOrdinal, planHash);
}

/** A deterministic stream of numbers in [0, 1), named so that independent consumers never share a stream. */
export interface RandomStream {
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

export function randomStream(seed: number, name: string): RandomStream {
  const prng = seedrandom(`${seed}:${name}`);
  return {
    next: () => prng(),
    int: (n: number) => Math.floor(prng() * n),
  };
}
