// Original file: proto/baton/v1/control.proto


export interface LanePolicy {
  'lane'?: (string);
  'capacity'?: (number);
  'high_watermark_pct'?: (number);
  'low_watermark_pct'?: (number);
  'overflow'?: (string);
  'max_block_ms'?: (number);
}

export interface LanePolicy__Output {
  'lane': (string);
  'capacity': (number);
  'high_watermark_pct': (number);
  'low_watermark_pct': (number);
  'overflow': (string);
  'max_block_ms': (number);
}
