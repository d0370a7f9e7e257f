// The public surface of the lanes module: bounded per-session lanes, their
// policies, and the cross-session scheduler. It re-exports only; no logic lives here.
export { RingBuffer } from './ring-buffer.js';
export {
  DROP_REASONS,
  SessionLanes,
  effectiveOverflow,
  watermarks,
  type DropReason,
  type LaneAction,
  type LaneItem,
  type OfferResult,
  type SessionLanesOptions,
  type Watermarks,
} from './session-lanes.js';
export {
  LaneScheduler,
  type LaneSchedulerOptions,
  type LaneSchedulerStats,
  type SchedulableSession,
} from './scheduler.js';
export {
  DEFAULT_LANE_POLICIES,
  LANE_OVERFLOW_ALLOWED,
  OVERFLOW_POLICIES,
  type LanePolicy,
  type OverflowPolicy,
} from './policy.js';
