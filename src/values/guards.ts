// Type guards for data that has not been validated yet (parsed YAML, JSON bodies, rows), so that code narrowing
// `unknown` says what it checks the same way everywhere instead of each module carrying its own copy.

/**
 * A plain mapping of keys to values: an object that is not null and not an array. Arrays are objects to
 * `typeof`, and treating a YAML list as a mapping would read its indices as keys.
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Whether `value` is one of `values` (by `===`), narrowing it to their union: `isOneOf(DHCP_MODES, mode)`. */
export function isOneOf<const T>(values: readonly T[], value: unknown): value is T {
  return values.some((candidate) => candidate === value);
}
