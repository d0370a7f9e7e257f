// G.711 mu-law against reference values and its round-trip error bound over every 16-bit sample.
import { describe, expect, it } from 'vitest';
import { linearToMulaw, mulawDecode, mulawEncode, mulawToLinear } from './g711.js';

describe('G.711 mu-law', () => {
  it('encodes the reference values', () => {
    expect(linearToMulaw(0)).toBe(0xff);
    expect(linearToMulaw(32767)).toBe(0x80);
    expect(linearToMulaw(-32768)).toBe(0x00);
    expect(linearToMulaw(-1)).toBe(0x7f);
    expect(linearToMulaw(1000)).toBe(0xce);
    expect(linearToMulaw(-1000)).toBe(0x4e);
    // The clip point and beyond share the top code.
    expect(linearToMulaw(32635)).toBe(0x80);
  });

  it('decodes the reference values', () => {
    expect(mulawToLinear(0xff)).toBe(0);
    expect(mulawToLinear(0x7f)).toBe(0);
    expect(mulawToLinear(0x80)).toBe(32124);
    expect(mulawToLinear(0x00)).toBe(-32124);
    expect(mulawToLinear(0xce)).toBe(988);
  });

  it('round-trips every 16-bit sample within half a quantization step', () => {
    const outOfBound: number[] = [];
    for (let sample = -32768; sample <= 32767; sample++) {
      const back = mulawToLinear(linearToMulaw(sample));
      const magnitude = Math.min(Math.abs(sample), 32635);
      // Segment e has a step of 2^(e+3) and |s| + 0x84 >= 2^(e+7), so half a step is at most (|s| + 0x84) / 32;
      // beyond the clip point the clipped amount adds to the error.
      const bound = (magnitude + 0x84) / 32 + (Math.abs(sample) - magnitude);
      const signKept = Math.sign(back) === Math.sign(sample) || back === 0;
      if (Math.abs(back - sample) > bound || !signKept) outOfBound.push(sample);
    }
    expect(outOfBound).toEqual([]);
  });

  it('re-encodes every decoded code to itself except negative zero', () => {
    for (let code = 0; code < 256; code++) {
      const again = linearToMulaw(mulawToLinear(code));
      expect(again).toBe(code === 0x7f ? 0xff : code);
    }
  });

  it('array forms agree with the scalar forms', () => {
    const pcm = Int16Array.from([0, 1, -1, 1000, -1000, 32767, -32768, 12345, -12345]);
    const encoded = mulawEncode(pcm);
    expect([...encoded]).toEqual([...pcm].map(linearToMulaw));
    expect([...mulawDecode(encoded)]).toEqual([...encoded].map(mulawToLinear));
  });
});
