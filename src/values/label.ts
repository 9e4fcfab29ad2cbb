import { InvalidValueError } from './brand.js';

// Machine labels (`rack: r12`): keys that survive every place a label is written (YAML keys, CSV columns, the
// `--label k=v` option, URL query strings) without quoting, and values that stay on one line.

const KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,61}[A-Za-z0-9])?$/;
/** The key rule as a pattern, for schemas that check keys where they arrive (the API). */
export const LABEL_KEY_PATTERN = KEY;
export const LABEL_KEY_EXPECTED =
  'a label key such as rack or site.example/role: 1 to 63 letters, digits, `.`, `_`, `/` or `-`, starting and ' +
  'ending with a letter or digit';

export const MAX_LABEL_VALUE = 200;
export const LABEL_VALUE_EXPECTED = `a label value on one line, at most ${MAX_LABEL_VALUE} characters`;

export function parseLabelKey(input: string): string {
  if (!KEY.test(input)) throw new InvalidValueError('label key', input, LABEL_KEY_EXPECTED);
  return input;
}

/** What a value may not contain: control characters and line separators, so it stays on one line. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
export const LABEL_VALUE_FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function parseLabelValue(input: string): string {
  if (input.length > MAX_LABEL_VALUE || LABEL_VALUE_FORBIDDEN.test(input)) {
    throw new InvalidValueError('label value', input, LABEL_VALUE_EXPECTED);
  }
  return input;
}

/** `rack=r12` (the CLI's `--label`, an import file's `rack=r12;role=db`) → `['rack', 'r12']`. */
export function parseLabelPair(input: string): readonly [string, string] {
  const at = input.indexOf('=');
  if (at <= 0) throw new InvalidValueError('label', input, 'key=value such as rack=r12');
  return [parseLabelKey(input.slice(0, at).trim()), parseLabelValue(input.slice(at + 1).trim())];
}
