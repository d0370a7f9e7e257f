// Finds the known name closest to a misspelt one, for "did you mean" hints. It
// owns the distance rule only and must never decide whether a name is valid.

/**
 * Edit distance counting a swap of two neighbours as one edit (optimal string
 * alignment), because `http_prot` for `http_port` is the commonest slip and
 * plain Levenshtein would score it as two.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `name`, or undefined when none is near enough to be
 * a plausible typo. The allowance grows with length so short names do not
 * "match" unrelated short keys.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  const allowance = Math.max(1, Math.floor(wanted.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= allowance ? best : undefined;
}

/** `; did you mean 'x'?` or nothing: appended to an unknown-name problem. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const hint = closest(name, candidates);
  return hint === undefined ? '' : `; did you mean '${hint}'?`;
}
