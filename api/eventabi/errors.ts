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

export function abiError(code: ErrorCode, message: string, ref_id?: string): AbiError {
  return ref_id ? { code, message, ref_id } : { code, message };
}
