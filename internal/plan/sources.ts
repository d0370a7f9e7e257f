// Where specs come from: a decoded gRPC message or YAML/JSON file text, turned into the plain value validation checks; it adds no rules of its own and resolves nothing.
import { parseDocument } from 'yaml';
import { validatePipelineSpec, type ValidationResult } from './validate.js';

/** A spec file larger than this is refused before parsing. */
export const MAX_SPEC_FILE_BYTES = 1 << 20;

/**
 * Drops proto3 zero values (empty strings, 0, null messages) from a decoded
 * `PipelineSpec` message. proto3 cannot tell "unset" from zero (the control
 * plane's loader also fills defaults in), so on the wire zero means "absent:
 * use the default". Lists are kept as they are so that `nodes: []` is still
 * reported as a pipeline without nodes.
 */
export function specFromWire(message: unknown): unknown {
  if (Array.isArray(message)) return message.map(specFromWire);
  if (typeof message !== 'object' || message === null) return message;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message as Record<string, unknown>)) {
    if (value === null || value === undefined || value === '' || value === 0) continue;
    out[key] = specFromWire(value);
  }
  return out;
}

/**
 * Parses and validates a spec file (YAML 1.2, of which JSON is a subset).
 * Duplicate keys and multiple documents are problems, not silently merged.
 */
export function parsePipelineSpecText(text: string): ValidationResult {
  if (Buffer.byteLength(text, 'utf8') > MAX_SPEC_FILE_BYTES) {
    return { ok: false, problems: [`file: larger than ${MAX_SPEC_FILE_BYTES} bytes`] };
  }
  const doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) return { ok: false, problems: doc.errors.map((e) => `file: ${e.message}`) };
  let value: unknown;
  try {
    // A bounded alias count stops a "billion laughs" document from expanding without limit.
    value = doc.toJS({ maxAliasCount: 64 });
  } catch (err) {
    return { ok: false, problems: [`file: ${err instanceof Error ? err.message : String(err)}`] };
  }
  return validatePipelineSpec(value);
}
