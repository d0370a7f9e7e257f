// A node host whose graph finishes at once with no audio: turns exercise the
// whole kernel path (gate, freeze, actor, egress, fence, timeline) without
// spending time in nodes. Used where turn count, not node work, is the point.
import type { GraphRun, NodeHost } from '../../internal/nodes/types.js';

export class InstantNodeHost implements NodeHost {
  runs = 0;

  run(ctx: Parameters<NodeHost['run']>[0]): GraphRun {
    this.runs++;
    ctx.emit({ type: 'end', generated_ms: 0 });
    return { done: Promise.resolve({ ok: true as const, generated_ms: 0 }) };
  }
}
