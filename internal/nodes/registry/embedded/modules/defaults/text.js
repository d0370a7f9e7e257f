// defaults/text: small text helpers shared by Baton's embedded node scripts. Pure functions only: no state, no host calls.

/** Longest reply the embedded bot gives, so one turn never floods text-to-speech. */
export const MAX_REPLY_CHARS = 400;

/** Collapses every run of white space to one space and trims the ends. */
export function squash(text) {
  return String(text).replace(/\s+/g, ' ').trim();
}

/** The text with its first letter upper-cased. */
export function capitalize(text) {
  const s = String(text);
  return s.length === 0 ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

/** Lower-cased, without punctuation, squashed: what rules match against. */
export function normalize(text) {
  return squash(String(text).toLowerCase().replace(/[^\p{L}\p{N}' ]+/gu, ' '));
}

/** Cuts `text` to at most `max` characters at a word boundary, with an ellipsis when cut. */
export function clip(text, max) {
  const s = squash(text);
  if (s.length <= max) return s;
  const cut = s.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
