/** One step into the configuration: a key of a mapping or an index of a list. */
export type ConfigPath = readonly (string | number)[];

/**
 * Where a problem is: a position in the config file (1-based, as editors count), the environment variable that
 * set the value, or the built-in defaults when neither exists. The defaults satisfy every rule (a test checks), so
 * the last only appears if a future rule forgets to say which written key to point at.
 */
export type ConfigOrigin =
  | { readonly kind: 'file'; readonly file: string; readonly line: number; readonly column: number }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'defaults' };

export interface ConfigDiagnostic {
  readonly origin: ConfigOrigin;
  /** Dotted key path such as `tftp.blocksize` or `dhcp.subnets[0].pools[1].start`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
  /** What to do about it, or what the key is for. */
  readonly hint?: string;
}

/** `dhcp.subnets[0].start`: the form users see in errors, and search for in docs/configuration.md. */
export function formatPath(path: ConfigPath): string {
  return path.reduce<string>((text, step) => {
    if (typeof step === 'number') return `${text}[${step}]`;
    return text === '' ? step : `${text}.${step}`;
  }, '');
}

export function formatOrigin(origin: ConfigOrigin): string {
  switch (origin.kind) {
    case 'file':
      return `${origin.file}:${origin.line}:${origin.column}`;
    case 'env':
      return `env ${origin.variable}`;
    case 'defaults':
      return 'built-in defaults';
  }
}

/** `fleetboot.yaml:3:14: tftp.blocksize: expected …` and, indented below, the hint. */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  const where = d.path === '' ? formatOrigin(d.origin) : `${formatOrigin(d.origin)}: ${d.path}`;
  const hint = d.hint === undefined ? '' : `\n    hint: ${d.hint}`;
  return `${where}: ${d.message}${hint}`;
}

/**
 * Every problem found in one load, in file order, so that one run of `fleetboot config check` shows them all.
 * `code` is stable for scripts and docs (design.md §8.6).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'FLEETBOOT_CONFIG_INVALID';

  constructor(readonly diagnostics: readonly ConfigDiagnostic[]) {
    const count = diagnostics.length === 1 ? '1 problem' : `${diagnostics.length} problems`;
    super(`invalid configuration (${count}):\n${diagnostics.map(formatDiagnostic).join('\n')}`);
  }

  override toString(): string {
    return this.diagnostics.map(formatDiagnostic).join('\n');
  }
}

/** File diagnostics by position, then environment ones by variable name; stable otherwise. */
export function sortDiagnostics(diagnostics: readonly ConfigDiagnostic[]): ConfigDiagnostic[] {
  const rank = (o: ConfigOrigin): [number, number, number, string] => {
    switch (o.kind) {
      case 'file':
        return [0, o.line, o.column, ''];
      case 'env':
        return [1, 0, 0, o.variable];
      case 'defaults':
        return [2, 0, 0, ''];
    }
  };
  return diagnostics
    .map((d, index) => ({ d, index, r: rank(d.origin) }))
    .sort((a, b) => {
      const [ka, la, ca, va] = a.r;
      const [kb, lb, cb, vb] = b.r;
      return ka - kb || la - lb || ca - cb || va.localeCompare(vb) || a.index - b.index;
    })
    .map(({ d }) => d);
}
