// How a session reports pressure on its lanes: every lane action is recorded
// and counted; drops are announced to the gateway as one drop.notice per run
// of adjacent drops (not one per frame, so telemetry does not multiply the
// overload it reports), and watermark crossings as flow.xoff/flow.xon. It
// never decides what to drop: the lanes do.
import type { Lane } from '../../api/eventabi/index.js';
import type { LaneAction } from '../lanes/session-lanes.js';
import type { Metrics } from '../observe/metrics.js';
import type { SessionEgress } from './egress.js';
import type { SessionRecorder } from './recorder.js';

interface DropRun {
  lane: Lane;
  reason: string;
  seq_from: number;
  seq_to: number;
}

export class PressureReporter {
  /** A run of ingress drops not yet announced: sent as one drop.notice when the run ends. */
  private run: DropRun | undefined;

  constructor(
    private readonly deps: { recorder: SessionRecorder; egress: SessionEgress; metrics?: Metrics | undefined },
  ) {}

  /** One action the session's lanes took. */
  report(action: LaneAction): void {
    const { recorder, egress } = this.deps;
    if (action.type === 'drop') {
      this.deps.metrics?.laneDrops.inc({ lane: action.lane, reason: action.reason });
      recorder.decision('lane', 'dropped', action.reason, {
        lane: action.lane,
        seq_from: String(action.seq_from),
        seq_to: String(action.seq_to),
      });
      const run = this.run;
      // Adjacent in session order only: a control event or a delivered frame between two drops splits the run.
      if (run && run.lane === action.lane && run.reason === action.reason && action.prev_seq === run.seq_to) {
        run.seq_to = action.seq_to;
        return;
      }
      this.flush();
      this.run = { lane: action.lane, reason: action.reason, seq_from: action.seq_from, seq_to: action.seq_to };
      return;
    }
    this.flush();
    recorder.decision('flow', action.type, '', { lane: action.lane, depth: String(action.depth) });
    egress.sendSessionEvent(action.type === 'xoff' ? 'flow.xoff' : 'flow.xon', { lane: action.lane });
  }

  /** Announces the pending run of drops, if any: called before the session delivers anything else. */
  flush(): void {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    this.deps.egress.sendSessionEvent('drop.notice', { ...run, direction: 'ingress' });
  }
}
