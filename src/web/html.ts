// The dashboard's one way to make HTML (reliability-catalogue H09, S13; Cobbler CVE-2018-1000225): a tagged
// template in which every interpolated value is escaped, whatever it is. Markup that must go in as is has to be
// made by `html` itself (an Html value) or be wrapped in `unsafeRaw(...)`, which is greppable and used only for
// text that is ours, never for a value from a machine, a label, an event or a user.

import { escapeHtml } from '../values/html-escape.js';

export { escapeHtml };

/** Held by this module only: no other code can make an Html value but through `html` and `unsafeRaw`. */
const MADE_HERE = Symbol('html');

/** Markup that is already safe: made by `html`, or wrapped on purpose by `unsafeRaw`. */
export class Html {
  constructor(
    key: symbol,
    readonly text: string,
  ) {
    if (key !== MADE_HERE) throw new TypeError('Html is made by html`…` or unsafeRaw(), nowhere else');
  }

  toString(): string {
    return this.text;
  }
}

function trusted(text: string): Html {
  return new Html(MADE_HERE, text);
}

/** What may stand in a `${}` of `html`: text and numbers (escaped), Html (kept), lists of these, and nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
}

/**
 * `html\`<td>${machine.hostname}</td>\`` — each value is escaped for HTML text and for attribute values in double
 * or single quotes (so `title="${x}"` is safe; an unquoted attribute is never written). `false`, `null` and
 * `undefined` render as nothing, so `${cond && html\`…\`}` works.
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return trusted(out);
}

/**
 * Markup taken as is. Grep for `unsafeRaw(` to review every use: only constant markup of ours, and the output
 * of JSON.stringify for an attribute, which the caller escapes itself.
 */
export function unsafeRaw(markup: string): Html {
  return trusted(markup);
}

/** Joins Html values with a separator that is itself escaped. */
export function joinHtml(parts: readonly Html[], separator: string): Html {
  return trusted(parts.map((p) => p.text).join(escapeHtml(separator)));
}
