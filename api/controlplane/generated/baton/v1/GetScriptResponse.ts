// Original file: proto/baton/v1/control.proto

import type { ScriptVersion as _baton_v1_ScriptVersion, ScriptVersion__Output as _baton_v1_ScriptVersion__Output } from '../../baton/v1/ScriptVersion.js';
import type { ScriptKind as _baton_v1_ScriptKind, ScriptKind__Output as _baton_v1_ScriptKind__Output } from '../../baton/v1/ScriptKind.js';

export interface GetScriptResponse {
  'version'?: (_baton_v1_ScriptVersion | null);
  'kind'?: (_baton_v1_ScriptKind);
  'source'?: (string);
}

export interface GetScriptResponse__Output {
  'version': (_baton_v1_ScriptVersion__Output | null);
  'kind': (_baton_v1_ScriptKind__Output);
  'source': (string);
}
