import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { DeclaredMachine } from '../../config/types.js';
import { InvalidValueError } from '../../values/brand.js';
import { parseHostname } from '../../values/hostname.js';
import { parseLabelKey, parseLabelPair, parseLabelValue } from '../../values/label.js';
import { type Mac, parseMac } from '../../values/mac.js';
import { parseUuid } from '../../values/uuid.js';

// `fleetboot machines import FILE` (issue 5 item 3): machines from a CSV export (an asset sheet, a switch's MAC
// table) or a YAML list. All rows are checked before anything is written; one bad row and nothing is imported,
// with every bad row reported by its line.

export const IMPORT_COLUMNS = ['mac', 'uuid', 'hostname', 'labels', 'profile'] as const;
type Column = (typeof IMPORT_COLUMNS)[number];

/** One row as read, before checking: each field as text (YAML labels may be a mapping). */
interface RawRow {
  readonly line: number;
  readonly fields: Partial<Record<Column, unknown>>;
  /** Columns or keys that are not IMPORT_COLUMNS. */
  readonly unknown: readonly string[];
}

export interface ImportResult {
  readonly machines: readonly DeclaredMachine[];
  /** `line N: problem`, in line order; when not empty, `machines` must not be imported. */
  readonly problems: readonly string[];
}

export function parseImportFile(
  text: string,
  format: 'csv' | 'yaml',
  profiles: ReadonlySet<string>,
): ImportResult {
  let rows: RawRow[];
  try {
    rows = format === 'csv' ? csvRows(text) : yamlRows(text);
  } catch (error) {
    if (error instanceof ImportSyntaxError) return { machines: [], problems: [error.message] };
    throw error;
  }
  const problems: string[] = [];
  const machines: DeclaredMachine[] = [];
  const macs = new Map<Mac, number>();
  const hostnames = new Map<string, number>();
  for (const row of rows) {
    const rowProblems: string[] = row.unknown.map(
      (name) => `unknown column "${name}" (expected ${IMPORT_COLUMNS.join(', ')})`,
    );
    const machine = checkRow(row, profiles, rowProblems);
    for (const mac of machine?.macs ?? []) {
      const first = macs.get(mac);
      if (first === undefined) macs.set(mac, row.line);
      else rowProblems.push(`${mac} is already on line ${first}`);
    }
    if (machine?.hostname !== undefined) {
      const first = hostnames.get(machine.hostname);
      if (first === undefined) hostnames.set(machine.hostname, row.line);
      else rowProblems.push(`host name ${machine.hostname} is already on line ${first}`);
    }
    problems.push(...rowProblems.map((p) => `line ${row.line}: ${p}`));
    if (machine && rowProblems.length === 0) machines.push(machine);
  }
  if (rows.length === 0) problems.push('no machines in the file');
  return { machines: problems.length === 0 ? machines : [], problems };
}

function checkRow(
  row: RawRow,
  profiles: ReadonlySet<string>,
  problems: string[],
): DeclaredMachine | undefined {
  const field = <T>(name: Column, parse: (text: string) => T): T | undefined => {
    const value = row.fields[name];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') {
      problems.push(`${name}: expected text, got ${Array.isArray(value) ? 'a list' : typeof value}`);
      return undefined;
    }
    try {
      return parse(value.trim());
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      problems.push(`${name}: ${error.message}`);
      return undefined;
    }
  };
  const macs = field('mac', (text) =>
    text
      .split(/[\s;]+/)
      .filter((m) => m !== '')
      .map(parseMac),
  );
  if (macs === undefined || macs.length === 0) {
    if (!problems.some((p) => p.startsWith('mac:')))
      problems.push('mac: required (one or more, separated by ;)');
    return undefined;
  }
  const uuid = field('uuid', parseUuid);
  const hostname = field('hostname', parseHostname);
  const profile = field('profile', (text) => text);
  if (profile !== undefined && !profiles.has(profile)) {
    problems.push(`profile: no profile is named "${profile}" in the configuration`);
  }
  const labels = rowLabels(row.fields.labels, problems);
  return {
    macs,
    ...(uuid === undefined ? {} : { uuid }),
    ...(hostname === undefined ? {} : { hostname }),
    labels,
    ...(profile === undefined ? {} : { profile }),
  };
}

/** `rack=r12;role=web` in CSV, or the same text or a mapping in YAML. */
function rowLabels(value: unknown, problems: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  const add = (key: string, text: unknown): void => {
    try {
      if (typeof text !== 'string') throw new InvalidValueError('label value', String(text), 'text');
      // defineProperty: a key named __proto__ is a label like any other, not the prototype.
      Object.defineProperty(labels, parseLabelKey(key), {
        value: parseLabelValue(text),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } catch (error) {
      if (!(error instanceof InvalidValueError)) throw error;
      problems.push(`labels: ${error.message}`);
    }
  };
  if (value === undefined || value === null || value === '') return labels;
  if (typeof value === 'string') {
    for (const pair of value.split(';').filter((p) => p.trim() !== '')) {
      try {
        const [key, text] = parseLabelPair(pair);
        add(key, text);
      } catch (error) {
        if (!(error instanceof InvalidValueError)) throw error;
        problems.push(`labels: ${error.message}`);
      }
    }
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, text] of Object.entries(value)) add(key, text);
  } else problems.push('labels: expected key=value;key=value or a mapping');
  return labels;
}

class ImportSyntaxError extends Error {}

function yamlRows(text: string): RawRow[] {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  const [error] = document.errors;
  if (error) {
    const line = error.linePos?.[0].line ?? 1;
    throw new ImportSyntaxError(`line ${line}: ${error.message.split('\n')[0] ?? 'invalid YAML'}`);
  }
  // A list of machines, or `machines:` holding one (the shape of fleetboot.yaml's own `machines:`).
  let list: unknown = document.contents;
  if (isMap(list)) list = list.get('machines', true);
  if (!isSeq(list))
    throw new ImportSyntaxError('line 1: expected a list of machines (or `machines:` with one)');
  return list.items.map((item: unknown): RawRow => {
    const line = lineOf(item as Node, lineCounter);
    if (!isMap(item)) return { line, fields: {}, unknown: ['(not a mapping)'] };
    const fields: Partial<Record<Column, unknown>> = {};
    const unknown: string[] = [];
    for (const pair of item.items) {
      const key = String((pair.key as Node | null)?.toJSON() ?? '');
      const value: unknown = (pair.value as Node | null)?.toJSON();
      const column = key === 'macs' ? 'mac' : key;
      if (isColumn(column)) {
        // `macs: [a, b]` and `mac: a` are both one field, as text.
        fields[column] = Array.isArray(value) && column === 'mac' ? value.map(String).join(';') : value;
      } else unknown.push(key);
    }
    return { line, fields, unknown };
  });
}

function lineOf(node: Node | null, lineCounter: LineCounter): number {
  const offset = node?.range?.[0];
  return offset === undefined ? 1 : lineCounter.linePos(offset).line;
}

function isColumn(name: string): name is Column {
  return (IMPORT_COLUMNS as readonly string[]).includes(name);
}

/** RFC 4180 CSV with a header row naming the columns, in any order and case. */
function csvRows(text: string): RawRow[] {
  const records = csvRecords(text);
  const header = records.shift();
  if (header === undefined) return [];
  const names = header.cells.map((cell) => cell.trim().toLowerCase());
  const unknown = names.filter((name) => !isColumn(name));
  if (unknown.length > 0) {
    throw new ImportSyntaxError(
      `line ${header.line}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `"${n}"`).join(', ')} ` +
        `(expected a header row of ${IMPORT_COLUMNS.join(', ')})`,
    );
  }
  if (!names.includes('mac'))
    throw new ImportSyntaxError(`line ${header.line}: the header row has no mac column`);
  return records
    .filter((record) => record.cells.some((cell) => cell.trim() !== ''))
    .map((record) => {
      const fields: Partial<Record<Column, unknown>> = {};
      const extra =
        record.cells.length > names.length ? [`(${record.cells.length - names.length} extra cells)`] : [];
      names.forEach((name, i) => {
        if (isColumn(name)) fields[name] = record.cells[i] ?? '';
      });
      return { line: record.line, fields, unknown: extra };
    });
}

/** Records with the line each starts on; quoted cells may hold commas, quotes ("") and line breaks. */
function csvRecords(text: string): { line: number; cells: string[] }[] {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const source = text.replace(/^\uFEFF/, ''); // spreadsheet exports often begin with a byte-order mark
  for (let i = 0; i < source.length; i++) {
    const c = source.charAt(i);
    if (quoted) {
      if (c === '"' && source[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && source[i + 1] === '\n') i++;
      cells.push(cell);
      records.push({ line: start, cells });
      cells = [];
      cell = '';
      line++;
      start = line;
    } else cell += c;
  }
  if (quoted) throw new ImportSyntaxError(`line ${start}: a quoted cell is not closed`);
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    records.push({ line: start, cells });
  }
  return records;
}
