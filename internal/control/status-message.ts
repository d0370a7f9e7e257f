// Status messages that list problems: every problem, as long as the message fits a gRPC trailer; it never decides which status a problem gets.

/**
 * The status message travels percent-encoded in the `grpc-message` trailer,
 * and peers cap received metadata (gRPC core's default is 8 KiB for every
 * header together), so a message longer than this would fail the call on the
 * client instead of explaining it. Counted in encoded bytes.
 */
export const MAX_STATUS_MESSAGE_BYTES = 4096;

/** One problem longer than this is shortened, so one huge value cannot crowd out the others. */
export const MAX_PROBLEM_CHARS = 400;

/** Room kept for the "and N more" summary. */
const SUMMARY_RESERVE_BYTES = 48;

/**
 * `lead` followed by the problems, separated by "; ". When they do not all
 * fit in `budget` encoded bytes, as many as fit are listed, in order, and the
 * message ends with how many were left out.
 */
export function problemsMessage(lead: string, problems: readonly string[], budget: number = MAX_STATUS_MESSAGE_BYTES): string {
  let message = lead;
  let used = encodedLength(lead);
  let listed = 0;
  for (const problem of problems) {
    const piece = (listed === 0 ? '' : '; ') + clip(problem, MAX_PROBLEM_CHARS);
    const cost = encodedLength(piece);
    const isLast = listed === problems.length - 1;
    if (used + cost + (isLast ? 0 : SUMMARY_RESERVE_BYTES) > budget) break;
    message += piece;
    used += cost;
    listed += 1;
  }
  const left = problems.length - listed;
  if (left > 0) message += `${listed === 0 ? '' : '; '}and ${left} more problem${left === 1 ? '' : 's'}`;
  return message;
}

/** Bytes of `text` as grpc-message encodes it: printable ASCII other than `%` as is, every other UTF-8 byte as `%XX`. */
export function encodedLength(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && code <= 0x7e && code !== 0x25) bytes += 1;
    else bytes += 3 * Buffer.byteLength(char, 'utf8');
  }
  return bytes;
}

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // Cut on a code point boundary so the shortened text stays valid UTF-16.
  const cut = [...text.slice(0, max)];
  if (cut.length > 0 && /[\uD800-\uDBFF]$/.test(cut[cut.length - 1]!)) cut.pop();
  return `${cut.join('')}...`;
}
