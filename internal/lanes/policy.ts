// Lane policies: capacity, watermarks and what happens on overflow. The values
// come from the frozen plan; these defaults are DESIGN 7's.
import type { Lane } from '../../api/eventabi/kinds.js';

/**
 * - `drop_oldest`: evict the oldest queued item to admit the new one (audio).
 * - `latest_only`: on overflow keep only the newest item.
 * - `coalesce`: merge the new item into the queued tail when the lane's merge function allows it, else drop oldest.
 * - `block`: refuse the item and ask the producer to pause, for at most `max_block_ms`.
 * - `drop_newest`: refuse the new item (telemetry).
 */
export const OVERFLOW_POLICIES = ['drop_oldest', 'latest_only', 'coalesce', 'block', 'drop_newest'] as const;
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

/** Which overflow policies each lane accepts: Control is never dropped. */
export const LANE_OVERFLOW_ALLOWED: Readonly<Record<Lane, readonly OverflowPolicy[]>> = {
  control: ['block'],
  data: ['drop_oldest', 'latest_only', 'coalesce', 'block'],
  telemetry: ['drop_newest', 'drop_oldest'],
};

export interface LanePolicy {
  readonly capacity: number;
  readonly high_watermark_pct: number;
  readonly low_watermark_pct: number;
  readonly overflow: OverflowPolicy;
  readonly max_block_ms: number;
}

export const DEFAULT_LANE_POLICIES: Readonly<Record<Lane, LanePolicy>> = {
  control: { capacity: 64, high_watermark_pct: 75, low_watermark_pct: 50, overflow: 'block', max_block_ms: 250 },
  data: { capacity: 256, high_watermark_pct: 75, low_watermark_pct: 50, overflow: 'drop_oldest', max_block_ms: 250 },
  telemetry: { capacity: 256, high_watermark_pct: 75, low_watermark_pct: 50, overflow: 'drop_newest', max_block_ms: 0 },
};
