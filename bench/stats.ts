// Summaries the bench tools print for a handful of repeats: the median (the mean of the middle two for an even
// count) and the median with its range, as bench/README.md's tables give them.

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}

/** `median [min–max]` with one decimal; `–` for no values. */
export function spread(values: readonly number[]): string {
  if (values.length === 0) return '–';
  const f1 = (x: number): string => x.toFixed(1);
  return `${f1(median(values))} [${f1(Math.min(...values))}–${f1(Math.max(...values))}]`;
}
