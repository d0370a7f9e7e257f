// Original file: proto/baton/v1/timeline.proto


export interface PinnedScript {
  'name'?: (string);
  'sha256'?: (string);
  'source'?: (string);
}

export interface PinnedScript__Output {
  'name': (string);
  'sha256': (string);
  'source': (string);
}
