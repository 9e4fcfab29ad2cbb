import {
  type Document,
  type ErrorCode,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from 'yaml';
import { redactCredentials } from '../values/redact.js';
import type { ConfigDiagnostic, ConfigPath } from './diagnostics.js';

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A parsed fleetboot.yaml that remembers where each value was written. */
export interface YamlSource {
  /** The document as plain data; undefined for an empty file (which means "all defaults"). */
  readonly value: unknown;
  /** YAML syntax errors. When there are any, `value` is not to be trusted. */
  readonly diagnostics: readonly ConfigDiagnostic[];
  /**
   * Where the value at `path` (with `key`, its key) was written; else its nearest written ancestor; undefined
   * only for an empty document.
   */
  position(path: ConfigPath, options?: { key?: boolean }): Position | undefined;
  /** Whether the file has a value at exactly `path`. */
  written(path: ConfigPath): boolean;
}

// What to do about the YAML errors people actually make in a hand-edited config.
const HINTS: Partial<Record<ErrorCode, string>> = {
  TAB_AS_INDENT: 'indent with spaces; YAML does not allow tabs for indentation',
  DUPLICATE_KEY: 'a key may appear once in a mapping: merge the two entries',
  MULTIPLE_DOCS: 'fleetboot.yaml holds one document: remove the second `---` and what follows, or merge them',
  BAD_INDENT: 'keys of one mapping must start in the same column',
  MISSING_CHAR: 'a quote or bracket is not closed',
};

export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1), column: Math.max(col, 1) };
  };
  const diagnostics: ConfigDiagnostic[] = doc.errors.map((error) => ({
    origin: { kind: 'file', file, ...at(error.pos[0]) },
    path: '',
    // The parser quotes the text it could not place, which may be a whole `store: postgres://…` line.
    message: `YAML: ${redactCredentials(firstLine(error.message))}`,
    ...(HINTS[error.code] === undefined ? {} : { hint: HINTS[error.code] }),
  }));
  let value: unknown;
  if (diagnostics.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // The only throw left after a clean parse is alias expansion past maxAliasCount (a "billion laughs").
      diagnostics.push({
        origin: { kind: 'file', file, line: 1, column: 1 },
        path: '',
        message: `YAML: ${redactCredentials(error instanceof Error ? error.message : String(error))}`,
      });
    }
  }
  return {
    value,
    diagnostics,
    position(path, options = {}) {
      const found = walk(doc, path);
      const node = options.key === true && found.complete ? (found.key ?? found.node) : found.node;
      const offset = node?.range?.[0] ?? found.key?.range?.[0];
      return offset === undefined ? undefined : at(offset);
    },
    written: (path) => walk(doc, path).complete,
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/** Follows `path` through mappings, lists and aliases as far as the document goes. */
function walk(doc: Document, path: ConfigPath): { node: Node | undefined; key?: Node; complete: boolean } {
  let node = asNode(doc.contents);
  let key: Node | undefined;
  for (const step of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(step));
      if (!pair) return { node, ...(key ? { key } : {}), complete: false };
      key = asNode(pair.key);
      // `tftp:` with nothing after it has no value node: the key is where it was written.
      node = asNode(pair.value) ?? key;
    } else if (isSeq(node) && typeof step === 'number' && asNode(node.items[step])) {
      node = asNode(node.items[step]);
      key = undefined;
    } else {
      return { node, ...(key ? { key } : {}), complete: false };
    }
  }
  return { node, ...(key ? { key } : {}), complete: true };
}

function asNode(value: unknown): Node | undefined {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value) ? value : undefined;
}
