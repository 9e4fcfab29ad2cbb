/**
 * Edit distance with adjacent transpositions (optimal string alignment): the fewest insertions, deletions,
 * substitutions and swaps of neighbours from a to b. Swaps count once because `tfpt` is a typo for `tftp`.
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const at = (r: number, c: number): number => (r === i ? row[c] : rows[r]?.[c]) ?? Infinity;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, at(i - 2, j - 2) + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/** Lower case without `_` and `-`: `data_dir`, `DataDir` and `data-dir` all mean `dataDir`. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/**
 * The candidate a typo most likely meant, or undefined when none is close. Close means: equal once case and
 * separators are ignored; or within a third of the word's length in edits (at least 1, so `blksize` finds
 * `blocksize` and `log` finds nothing in `tftp`); or else the one key that starts the same way, over at least 4
 * letters or all of a 3-letter word (`lease` → `leaseTime`, `retry` → `retries`, but `max` is ambiguous).
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const wanted = normalizeKey(input);
  const scored = candidates.map((candidate) => {
    const key = normalizeKey(candidate);
    return { candidate, key, distance: editDistance(wanted, key), prefix: commonPrefix(wanted, key) };
  });
  const nearest = scored.reduce<(typeof scored)[number] | undefined>(
    (best, s) => (best === undefined || s.distance < best.distance ? s : best),
    undefined,
  );
  if (nearest === undefined) return undefined;
  if (nearest.distance <= Math.max(1, Math.floor(Math.max(wanted.length, nearest.key.length) / 3))) {
    return nearest.candidate;
  }
  const longest = Math.max(...scored.map((s) => s.prefix));
  const sharing = scored.filter((s) => s.prefix === longest);
  const [only] = sharing;
  return wanted.length >= 3 && longest >= Math.min(4, wanted.length) && sharing.length === 1 && only
    ? only.candidate
    : undefined;
}

function commonPrefix(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
