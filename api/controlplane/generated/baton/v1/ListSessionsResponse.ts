// Original file: proto/baton/v1/control.proto

import type { Session as _baton_v1_Session, Session__Output as _baton_v1_Session__Output } from '../../baton/v1/Session.js';

export interface ListSessionsResponse {
  'sessions'?: (_baton_v1_Session)[];
  'next_page_token'?: (string);
}

export interface ListSessionsResponse__Output {
  'sessions': (_baton_v1_Session__Output)[];
  'next_page_token': (string);
}
