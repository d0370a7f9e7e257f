// A strict protobuf wire reader for untrusted input: every read is bounds-
// checked, 64-bit varints become safe JS integers or fail, and strings must be
// valid UTF-8. Failures throw DecodeFailure with the code the caller chose for
// the region being read (envelope or payload).
import { DecodeFailure } from './errors.js';
import type { ErrorCode } from './vocabulary.js';

// ignoreBOM: a leading U+FEFF is content, not a marker to strip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const TWO_POW_32 = 4294967296;

export class WireReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
    /** Code reported for malformed input in this region. */
    readonly failCode: ErrorCode,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string): never {
    throw new DecodeFailure(this.failCode, message);
  }

  /** A varint that must fit in 32 bits (tags, lengths, uint32 fields). */
  uint32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const byte = this.buf[this.pos++]!;
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) {
        if (result > 0xffffffff) this.fail('varint exceeds 32 bits');
        return result;
      }
      shift += 7;
    }
    this.fail('varint exceeds 32 bits');
  }

  /** A uint64 varint that must be at most 2^53-1. */
  uint64(): number {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const byte = this.buf[this.pos++]!;
      const bits = byte & 0x7f;
      // The tenth byte carries only bit 63; anything more does not fit in 64 bits.
      if (i === 9 && bits > 1) this.fail('varint exceeds 64 bits');
      if (shift < 28) {
        lo |= bits << shift;
      } else if (shift === 28) {
        lo |= (bits & 0x0f) << 28;
        hi |= bits >>> 4;
      } else {
        hi |= bits << (shift - 32);
      }
      if (byte < 0x80) {
        const value = (hi >>> 0) * TWO_POW_32 + (lo >>> 0);
        if (!Number.isSafeInteger(value) || hi >>> 0 > 0x1fffff) this.fail('integer exceeds 2^53-1');
        return value;
      }
      shift += 7;
    }
    this.fail('varint longer than 10 bytes');
  }

  bool(): boolean {
    return this.uint64() !== 0;
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  /** Bounds of a length-delimited field, advancing past it. */
  delimited(): [number, number] {
    const length = this.uint32();
    const start = this.pos;
    if (start + length > this.end) this.fail('length-delimited field runs past the end of the frame');
    this.pos = start + length;
    return [start, this.pos];
  }

  bytes(): Buffer {
    const [start, end] = this.delimited();
    return this.buf.subarray(start, end);
  }

  string(): string {
    const [start, end] = this.delimited();
    let ascii = true;
    for (let i = start; i < end; i++) {
      if (this.buf[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return this.buf.toString('latin1', start, end);
    try {
      return utf8.decode(this.buf.subarray(start, end));
    } catch {
      this.fail('string is not valid UTF-8');
    }
  }
}
