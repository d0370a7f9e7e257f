// Original file: proto/baton/v1/control.proto

import type { ScriptVersion as _baton_v1_ScriptVersion, ScriptVersion__Output as _baton_v1_ScriptVersion__Output } from '../../baton/v1/ScriptVersion.js';

export interface ListScriptsResponse {
  'scripts'?: (_baton_v1_ScriptVersion)[];
  'next_page_token'?: (string);
}

export interface ListScriptsResponse__Output {
  'scripts': (_baton_v1_ScriptVersion__Output)[];
  'next_page_token': (string);
}
