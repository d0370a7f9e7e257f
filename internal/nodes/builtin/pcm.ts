// Linear samples to and from the bytes of a negotiated codec (pcm16 little-endian or G.711 mu-law); it never changes the sample rate.
import type { Codec } from '../../../api/eventabi/kinds.js';
import { mulawDecode, mulawEncode } from './g711.js';

/** Samples as bytes in `codec`; pcm16 is written little-endian whatever the host's byte order. */
export function encodeSamples(samples: Int16Array, codec: Codec): Uint8Array {
  if (codec === 'mulaw') return mulawEncode(samples);
  const out = new Uint8Array(samples.length * 2);
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i]!;
    out[2 * i] = value & 0xff;
    out[2 * i + 1] = (value >> 8) & 0xff;
  }
  return out;
}

/** Bytes in `codec` as samples; a trailing odd byte of pcm16 is not a sample and is ignored. */
export function decodeSamples(bytes: Uint8Array, codec: Codec): Int16Array {
  if (codec === 'mulaw') return mulawDecode(bytes);
  const out = new Int16Array(bytes.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = ((bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16) >> 16;
  return out;
}
