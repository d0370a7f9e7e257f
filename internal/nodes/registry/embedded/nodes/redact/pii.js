// redact/pii: masks e-mail addresses and long digit runs (card, phone, account
// numbers) in the text it passes on, so later nodes and the reply never carry
// them. It keeps everything else as it is and calls no host capability.
// config: min_digits (default 7): the fewest digits a run needs to be masked.
import { squash } from 'defaults/text';

export const DEFAULT_MIN_DIGITS = 7;

/** The digit count below which a run is kept: short numbers ("3 tickets", "at 10") are not personal data. */
function minDigits(config) {
  const n = Number.parseInt(config && config.min_digits, 10);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MIN_DIGITS;
}

/** The text with e-mail addresses and digit runs of at least `min` digits (spaces, dots, dashes and brackets between them allowed) masked. */
export function redact(text, min) {
  const emails = String(text).replace(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu, '[email]');
  return emails.replace(/\+?\d(?:[\d .()-]*\d)?/g, (run) => (run.replace(/\D/g, '').length >= min ? '[number]' : run));
}

export default function handle(input, ctx) {
  return squash(redact(input.text, minDigits(ctx.config)));
}
