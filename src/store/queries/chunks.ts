/**
 * Rows per INSERT and keys per IN list, largest first: one statement for many rows or keys costs far less than one
 * per item, and a few fixed lengths keep the SQL texts few, so prepared statements are reused (statement-cache.ts,
 * append-sqlite.ts).
 */
export const CHUNK_SIZES = [64, 16, 4, 1] as const;

/** `items` in runs of the CHUNK_SIZES, largest first (70 items: 64, 4, 1, 1). */
export function* chunked<T>(items: readonly T[]): Generator<readonly T[]> {
  for (let start = 0; start < items.length;) {
    const size = CHUNK_SIZES.find((n) => n <= items.length - start) ?? 1;
    yield items.slice(start, start + size);
    start += size;
  }
}
