/** JSON as it is written to and read back from the store: event and audit details. */
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/**
 * Where `value` stops being JSON that survives `JSON.parse(JSON.stringify(value))`, as a path such as
 * `$.lease.expires`, with the reason; `undefined` when it survives. `JSON.stringify` does not fail on most such
 * values: it silently turns `NaN` into `null`, drops `undefined` members and calls `toJSON`, so what was logged
 * would differ from what loads back (reliability-catalogue P2: validate on write). The one loss accepted is
 * `-0`, which JSON cannot spell and which loads back as `0`.
 */
export function jsonProblem(value: unknown, path = '$', seen = new Set<object>()): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path}: ${value} is not a JSON number`;
    case 'object':
      if (value === null) return undefined;
      if (seen.has(value)) return `${path}: circular reference`;
      seen.add(value);
      try {
        return Array.isArray(value) ? arrayProblem(value, path, seen) : objectProblem(value, path, seen);
      } finally {
        seen.delete(value);
      }
    case 'undefined':
    case 'bigint':
    case 'symbol':
    case 'function':
      return `${path}: a ${typeof value} is not JSON`;
  }
}

function arrayProblem(array: readonly unknown[], path: string, seen: Set<object>): string | undefined {
  for (let i = 0; i < array.length; i++) {
    if (!(i in array)) return `${path}[${i}]: a hole in an array is not JSON`;
    if (isJsonLeaf(array[i])) continue;
    const problem = jsonProblem(array[i], `${path}[${i}]`, seen);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function objectProblem(object: object, path: string, seen: Set<object>): string | undefined {
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) {
    return `${path}: only plain objects are JSON (got ${constructorName(proto)})`;
  }
  if (Object.getOwnPropertySymbols(object).length > 0) return `${path}: symbol keys are not JSON`;
  for (const [key, member] of Object.entries(object)) {
    if (isJsonLeaf(member)) continue;
    const problem = jsonProblem(member, `${path}.${key}`, seen);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * A member that is JSON as it is (a string, a boolean, a finite number, null): skipped without building its path,
 * which only a problem needs. Event details are mostly such members, and every event is checked on the SQLite
 * writer thread.
 */
function isJsonLeaf(value: unknown): boolean {
  const type = typeof value;
  return (
    type === 'string' || type === 'boolean' || value === null || (type === 'number' && Number.isFinite(value))
  );
}

function constructorName(proto: unknown): string {
  const ctor: unknown = (proto as { constructor?: unknown }).constructor;
  return typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'an object with a custom prototype';
}
