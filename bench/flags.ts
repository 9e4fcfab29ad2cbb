// Command-line flags of the in-process bench tools: `--name value` pairs, nothing else.

export interface BenchFlags {
  /** The flag's value as given, or undefined. */
  get(name: string): string | undefined;
  /** The flag as an integer of at least `min` (1 unless said), or `fallback` when it is not given. */
  int(name: string, fallback: number, min?: number): number;
}

export function benchFlags(argv: readonly string[], usage: string): BenchFlags {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i] ?? '';
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined)
      throw new Error(`usage: ${usage} (got ${argv.join(' ')})`);
    values.set(key.slice(2), value);
  }
  return {
    get: (name) => values.get(name),
    int(name, fallback, min = 1) {
      const text = values.get(name);
      if (text === undefined) return fallback;
      const value = Number(text);
      if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
      return value;
    },
  };
}
