// Original file: proto/baton/v1/control.proto

import type { ScriptKind as _baton_v1_ScriptKind, ScriptKind__Output as _baton_v1_ScriptKind__Output } from '../../baton/v1/ScriptKind.js';

export interface PutScriptRequest {
  'name'?: (string);
  'kind'?: (_baton_v1_ScriptKind);
  'source'?: (string);
}

export interface PutScriptRequest__Output {
  'name': (string);
  'kind': (_baton_v1_ScriptKind__Output);
  'source': (string);
}
