// Authority entry point: picks a backend from its spec and re-exports the contract; holds no lease state.
import type { Clock } from '../determinism/clock.js';
import { MemoryAuthority } from './memory.js';
import type { AuthorityBackend } from './types.js';

export type { AuthorityBackend, AuthorityErrorCode, AuthorityResult, Lease, LeaseLossReason } from './types.js';
export { MemoryAuthority } from './memory.js';
export { LeaseKeeper, type LeaseKeeperOptions } from './lease-keeper.js';

/**
 * `memory` or `etcd://host:port`. An unknown or unsupported spec is a
 * configuration error at startup, so it throws rather than returning a value.
 */
export function createAuthority(spec: string, clock: Clock): AuthorityBackend {
  if (spec === 'memory') return new MemoryAuthority(clock);
  if (spec.startsWith('etcd://')) throw new Error('etcd authority is not available in this build yet');
  throw new Error(`unknown authority "${spec}": expected "memory" or "etcd://host:port"`);
}
