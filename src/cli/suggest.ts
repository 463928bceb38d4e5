// "Did you mean": the closest known name to a misspelt command or flag, by edit distance
// (insertions, deletions, substitutions and swaps of neighbours each cost 1), or the one known
// name the word starts or is part of (`--target` -> `--target-size`, `--top` -> `--include-top`).

/** Optimal string alignment distance between a and b. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (swapped) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known name `word` most likely meant, or null: within a third of its length in edits (at
 * least 1, at most 3), ties going to the name listed first; else the only name it starts, else
 * the only name it is part of.
 */
export function didYouMean(word: string, known: readonly string[]): string | null {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | null = null;
  let bestD = limit + 1;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  if (best) return best;
  if (word.length < 2) return null;
  const prefixed = known.filter((k) => k.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  const within = known.filter((k) => k.includes(word));
  return within.length === 1 ? within[0] : null;
}
