// The QuickJS script tier's public face: the tier, its options and the shapes the graph executor and the host agree on. Nothing else of the sandbox is imported from outside it.
export { CapabilityDenied, OVERLOADED, QUICKJS_TIER_DEFAULTS, QuickJSTier, type QuickJSTierOptions } from './tier.js';
export { BOUNDARY_LIMITS } from './protocol.js';
export { ALLOWED_GLOBALS } from './prelude.js';
