// Typed Event ABI errors. Codecs and validators return these as values; the
// internal DecodeFailure exception never leaves this package.
import type { ErrorCode } from './vocabulary.js';

export interface AbiError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The offending event's id, when it could be read. */
  readonly ref_id?: string;
}

export type Decoded<T> = { readonly ok: true; readonly event: T } | { readonly ok: false; readonly error: AbiError };

/** Thrown inside a codec to abandon a frame; converted to an AbiError at the codec's edge. */
export class DecodeFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Longest error message, in UTF-16 code units: messages quote input, and a 1 MiB kind must not come back as a 1 MiB error. */
export const MAX_ERROR_MESSAGE_CHARS = 1024;

/**
 * Error messages quote what was refused (a JSON parser's excerpt can split a
 * surrogate pair), yet every string the kernel sends must be well-formed
 * Unicode: a lone surrogate cannot be encoded as UTF-8 for protobuf, and a
 * strict JSON decoder refuses it. Lone surrogates become U+FFFD.
 */
function wellFormed(text: string): string {
  const cut = text.length > MAX_ERROR_MESSAGE_CHARS ? `${text.slice(0, MAX_ERROR_MESSAGE_CHARS - 3)}...` : text;
  return cut.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

export function abiError(code: ErrorCode, message: string, ref_id?: string): AbiError {
  const text = wellFormed(message);
  return ref_id ? { code, message: text, ref_id } : { code, message: text };
}
