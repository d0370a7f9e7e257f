// ITU-T G.711 mu-law companding (bias 0x84, clip 32635) between 16-bit linear PCM and 8-bit codes; it never resamples or frames audio.

const BIAS = 0x84;
const CLIP = 32635;

/** One 16-bit linear sample to its mu-law code. */
export function linearToMulaw(sample: number): number {
  let magnitude = sample;
  let sign = 0;
  if (magnitude < 0) {
    // Negate rather than complement so -1 lands on 0x7F ("negative zero"), as the reference encoder does.
    magnitude = -magnitude;
    sign = 0x80;
  }
  if (magnitude > CLIP) magnitude = CLIP;
  magnitude += BIAS;
  // The segment is the position of the highest set bit above bit 7 (magnitude >= 0x84 always has bit 7 or higher set).
  const exponent = 31 - Math.clz32(magnitude) - 7;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One mu-law code to its 16-bit linear value (the middle of its quantization interval). */
export function mulawToLinear(code: number): number {
  const u = ~code & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + BIAS) << exponent) - BIAS;
  // Negative zero (0x7F) decodes to plain 0, never -0.
  return u & 0x80 && magnitude !== 0 ? -magnitude : magnitude;
}

const DECODE_TABLE = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = mulawToLinear(code);
  return table;
})();

export function mulawEncode(pcm16: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm16.length);
  for (let i = 0; i < pcm16.length; i++) out[i] = linearToMulaw(pcm16[i]!);
  return out;
}

export function mulawDecode(mulaw: Uint8Array): Int16Array {
  const out = new Int16Array(mulaw.length);
  for (let i = 0; i < mulaw.length; i++) out[i] = DECODE_TABLE[mulaw[i]!]!;
  return out;
}
