import { CRYPT_HASH_EXPECTED, isCryptHash } from './crypt-hash.js';
import type { AnswerProblem } from './problem.js';

/** One answer of a preseed file: `owner question type value` (debconf-set-selections(1) format). */
export interface PreseedEntry {
  /** Where it starts (a continued answer spans several lines). */
  readonly line: number;
  readonly owner: string;
  readonly question: string;
  readonly type: string;
  readonly value: string;
}

// debconf's template types (debconf-devel(7) "Templates"), which debconf-set-selections accepts as the third word.
const TYPES = new Set([
  'string',
  'boolean',
  'select',
  'multiselect',
  'note',
  'text',
  'password',
  'error',
  'title',
]);
// The owner is a package name (`d-i` for the installer); the question is `template/name`, which has a slash.
// The value is what follows the type and the whitespace after it (d-i strips that whitespace).
const ENTRY =
  /^([a-z0-9][a-z0-9.+-]*)[ \t]+([A-Za-z0-9][A-Za-z0-9_.+-]*\/[A-Za-z0-9_.+/-]+)[ \t]+([a-z]+)(?:[ \t]+(.*))?$/;
// A plain-text password written where debian-installer would set it (catalogue S05); the *-crypted forms exist.
const PLAIN_PASSWORDS = new Set([
  'passwd/root-password',
  'passwd/root-password-again',
  'passwd/user-password',
  'passwd/user-password-again',
]);

/**
 * Parses a preseed file line by line as debian-installer 12 does (its own debconf-set-selections, a shell script in
 * the initrd; test/answers/d-i-parser.test.ts runs it): lines starting with `#` and blank lines are dropped, leading
 * whitespace is stripped, a line ending in `\` is joined to the next with one space, and the owner, question and
 * type are split off at whitespace, the rest (after that whitespace, trailing whitespace kept) being the value.
 * An indented `#` is not a comment there: d-i takes `#` as an owner and sets a question named by the next word;
 * this refuses it. Also refuses what would work but must not be: a
 * question answered twice (the later answer silently wins — the shape of an injected line, catalogue H07), a
 * plain-text password, a `-crypted` answer that is not a crypt hash, a type debconf does not have.
 */
export function parsePreseed(text: string): { entries: PreseedEntry[]; problems: AnswerProblem[] } {
  const entries: PreseedEntry[] = [];
  const problems: AnswerProblem[] = [];
  const seen = new Map<string, number>();
  let continued: { line: number; text: string } | undefined;
  text.split('\n').forEach((raw, index) => {
    const problem = (line: number, message: string): void => {
      problems.push({ line, message });
    };
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(raw)) {
      problem(index + 1, 'contains a control character (a CR of CRLF line ends, a NUL…)');
      return;
    }
    if (raw.startsWith('#') || /^[ \t]*$/.test(raw)) return;
    // Only space and tab: d-i's sed classes are ASCII ([[:space:]]; the other ASCII spaces are refused above).
    const line = raw.replace(/^[ \t]+/, '');
    if (line.endsWith('\\')) {
      const part = line.slice(0, -1).replace(/[ \t]+$/, '');
      continued = {
        line: continued?.line ?? index + 1,
        text: continued === undefined ? part : `${continued.text} ${part}`,
      };
      return;
    }
    const start = continued?.line ?? index + 1;
    const logical = continued === undefined ? line : `${continued.text} ${line}`;
    continued = undefined;
    const entry = parseEntry(logical, start, (message) => {
      problem(start, message);
    });
    if (entry === undefined) return;
    const key = `${entry.owner} ${entry.question}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) problem(start, `${key} is answered again (first on line ${earlier})`);
    else seen.set(key, start);
    entries.push(entry);
  });
  if (continued !== undefined)
    problems.push({ line: continued.line, message: 'ends the file with a line continuation' });
  return { entries, problems };
}

function parseEntry(
  logical: string,
  line: number,
  problem: (message: string) => void,
): PreseedEntry | undefined {
  const match = ENTRY.exec(logical);
  if (match === null) {
    problem(`is not "owner question type value": ${JSON.stringify(logical.slice(0, 80))}`);
    return undefined;
  }
  const [, owner = '', question = '', type = '', value = ''] = match;
  if (!TYPES.has(type)) {
    problem(`${question}: unknown type ${JSON.stringify(type)} (expected ${[...TYPES].join(', ')})`);
    return undefined;
  }
  if (type === 'boolean' && value !== 'true' && value !== 'false') {
    problem(`${question}: a boolean is true or false, not ${JSON.stringify(value)}`);
  }
  if (PLAIN_PASSWORDS.has(question) && value !== '') {
    problem(
      `${question}: a plain-text password; write ${question.replace(/(-again)?$/, '-crypted')} with a hash`,
    );
  }
  if (question.endsWith('-crypted') && !isCryptHash(value)) {
    problem(`${question}: not a password hash (expected ${CRYPT_HASH_EXPECTED})`);
  }
  return { line, owner, question, type, value };
}
