/**
 * A parser for the deb822 control format (deb822(5)): paragraphs of `Field: value` lines separated by blank
 * lines, continuation lines starting with a space or tab. Debian's Packages and Sources indexes and apt's
 * `.sources` files are all written in it. Pure: text in, paragraphs out; nothing here throws on bad input, a
 * malformed line is reported with its line number and the paragraph goes on without it.
 */

export interface Deb822Paragraph {
  /** Field names lower-cased (deb822 field names are case-insensitive); values with continuation lines joined by `\n`. */
  readonly fields: ReadonlyMap<string, string>;
  /** 1-based line number of the paragraph's first field, for `file:line` messages. */
  readonly line: number;
}

export interface Deb822Problem {
  readonly line: number;
  readonly reason: string;
}

export interface Deb822Result {
  readonly paragraphs: readonly Deb822Paragraph[];
  readonly problems: readonly Deb822Problem[];
}

const FIELD = /^([!-9;-~][!-9;-~]*):(.*)$/;

export function parseDeb822(text: string, { comments = false } = {}): Deb822Result {
  const paragraphs: Deb822Paragraph[] = [];
  const problems: Deb822Problem[] = [];
  let fields = new Map<string, string>();
  let start = 0;
  let last: string | undefined;
  const flush = (): void => {
    if (fields.size > 0) paragraphs.push({ fields, line: start });
    fields = new Map();
    last = undefined;
  };
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    const raw = line.replace(/\r$/, '');
    const lineNo = i + 1;
    // apt's .sources files allow `#` comment lines (sources.list(5)); Packages indexes do not have them.
    if (comments && raw.startsWith('#')) continue;
    if (raw.trim() === '') {
      flush();
      continue;
    }
    if (raw.startsWith(' ') || raw.startsWith('\t')) {
      if (last === undefined) {
        problems.push({ line: lineNo, reason: 'continuation line without a field before it' });
        continue;
      }
      const body = raw.trim();
      // A lone `.` stands for an empty line inside a multi-line value (deb822(5)).
      fields.set(last, `${fields.get(last) ?? ''}\n${body === '.' ? '' : body}`);
      continue;
    }
    const [, name, value] = FIELD.exec(raw) ?? [];
    if (name === undefined || value === undefined) {
      problems.push({ line: lineNo, reason: 'expected "Field: value"' });
      continue;
    }
    if (fields.size === 0) start = lineNo;
    last = name.toLowerCase();
    fields.set(last, value.trim());
  }
  flush();
  return { paragraphs, problems };
}
