// Original file: proto/baton/v1/control.proto

export const ScriptKind = {
  SCRIPT_KIND_UNSPECIFIED: 'SCRIPT_KIND_UNSPECIFIED',
  SCRIPT_KIND_NODE: 'SCRIPT_KIND_NODE',
  SCRIPT_KIND_MODULE: 'SCRIPT_KIND_MODULE',
} as const;

export type ScriptKind =
  | 'SCRIPT_KIND_UNSPECIFIED'
  | 0
  | 'SCRIPT_KIND_NODE'
  | 1
  | 'SCRIPT_KIND_MODULE'
  | 2

export type ScriptKind__Output = typeof ScriptKind[keyof typeof ScriptKind]
