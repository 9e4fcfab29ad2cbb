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
const ENTRY =
  /^([a-z0-9][a-z0-9.+-]*)[ \t]+([A-Za-z0-9][A-Za-z0-9_.+-]*\/[A-Za-z0-9_.+/-]+)[ \t]+([a-z]+)(?:[ \t](.*))?$/;
// A plain-text password written where debian-installer would set it (catalogue S05); the *-crypted forms exist.
const PLAIN_PASSWORDS = new Set([
  'passwd/root-password',
  'passwd/root-password-again',
  'passwd/user-password',
  'passwd/user-password-again',
]);

/**
 * Parses a preseed file line by line, as debian-installer does: `#` starts a comment line, blank lines are
 * skipped, a line ending in `\` continues on the next. Every other line must be one answer. Also refuses what
 * would work but must not be: a question answered twice (the later answer silently wins — the shape of an
 * injected line, catalogue H07), a plain-text password, a `-crypted` answer that is not a crypt hash.
 */
export function parsePreseed(text: string): { entries: PreseedEntry[]; problems: AnswerProblem[] } {
  const entries: PreseedEntry[] = [];
  const problems: AnswerProblem[] = [];
  const seen = new Map<string, number>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    let logical = lines[i] ?? '';
    while (logical.endsWith('\\') && i + 1 < lines.length)
      logical = logical.slice(0, -1) + (lines[++i] ?? '');
    const problem = (message: string): void => {
      problems.push({ line: start, message });
    };
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(logical)) {
      problem('contains a control character (a CR of CRLF line ends, a NUL…)');
      continue;
    }
    const trimmed = logical.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (logical.endsWith('\\')) {
      problem('ends the file with a line continuation');
      continue;
    }
    const match = ENTRY.exec(trimmed);
    if (match === null) {
      problem(`is not "owner question type value": ${JSON.stringify(trimmed.slice(0, 80))}`);
      continue;
    }
    const [, owner = '', question = '', type = '', value = ''] = match;
    if (!TYPES.has(type)) {
      problem(`${question}: unknown type ${JSON.stringify(type)} (expected ${[...TYPES].join(', ')})`);
      continue;
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
    const key = `${owner} ${question}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) problem(`${owner} ${question} is answered again (first on line ${earlier})`);
    else seen.set(key, start);
    entries.push({ line: start, owner, question, type, value: value.trimEnd() });
  }
  return { entries, problems };
}
