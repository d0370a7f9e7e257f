// Original file: proto/baton/v1/control.proto


export interface ExportTimelineRequest {
  'session_id'?: (string);
}

export interface ExportTimelineRequest__Output {
  'session_id': (string);
}
