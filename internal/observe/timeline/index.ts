// Public surface of the session timeline: record types and codec, the recorder and the readers; it never exports the file sink's internals.
export {
  BODY_CASES,
  TIMELINE_FORMAT_VERSION,
  TimelineFormatError,
  decodeRecord,
  egressBody,
  encodeRecord,
  type BodyCase,
  type BodyValues,
  type Decision,
  type EgressRecord,
  type NodeInvocation,
  type NondeterministicInput,
  type PinnedScript,
  type PlanFrozen,
  type RecordBody,
  type Rejection,
  type SessionHeader,
  type TimelineRecord,
} from './records.js';
export {
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MEMORY_RECORDS,
  DEFAULT_RESERVED_TERMINAL_RECORDS,
  TimelineRecorder,
  TimelineUnavailableError,
  type AppendResult,
  type StoredRecord,
  type TimelineOptions,
  type TimelineStats,
} from './recorder.js';
export {
  DECISIONS,
  DECISION_KINDS,
  NO_REASON,
  OPEN_REASONS,
  decisionProblem,
  isDecision,
  type DecisionDetail,
  type DecisionDetailKey,
  type DecisionKind,
  type DecisionOutcome,
  type DecisionSpec,
} from './decisions.js';
export { ClosedTimelineError, closeTimeline, exportClosedTimeline, type ClosedTimeline } from './closed.js';
export { MAX_RECORD_BYTES, parseTimeline, readTimelineFile, readTimelineFrames } from './reader.js';
export { MAX_NAME_ATTEMPTS, candidateName, timelineFileName } from './sink.js';
