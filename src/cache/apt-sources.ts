import { parseDeb822 } from './deb822.js';

/**
 * One repository line of apt's configuration, in either of the two formats of sources.list(5): the one-line
 * style of `/etc/apt/sources.list` and `sources.list.d/*.list`, and the deb822 style of `*.sources` (Debian 12's
 * default, `/etc/apt/sources.list.d/debian.sources`). Pure: file text in, entries out.
 */
export interface AptSource {
  readonly type: 'deb' | 'deb-src';
  /** As written, without a trailing slash. */
  readonly uri: string;
  readonly suites: readonly string[];
  readonly components: readonly string[];
  /** `file:line` of the entry, for logs. */
  readonly origin: string;
}

export interface AptSourcesProblem {
  readonly origin: string;
  readonly reason: string;
}

export interface ParsedAptSources {
  readonly sources: readonly AptSource[];
  readonly problems: readonly AptSourcesProblem[];
}

const trimSlash = (uri: string): string => uri.replace(/\/+$/, '');

/** `deb [ option=value … ] uri suite [component …]`, with `#` comments (sources.list(5), "ONE-LINE-STYLE FORMAT"). */
export function parseOneLineSources(text: string, file: string): ParsedAptSources {
  const sources: AptSource[] = [];
  const problems: AptSourcesProblem[] = [];
  text.split('\n').forEach((raw, index) => {
    const origin = `${file}:${index + 1}`;
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    // Options sit in one bracketed group right after the type; they never contain `]`.
    const m = /^(deb|deb-src)\s+(?:\[[^\]]*\]\s*)?([^\s[]\S*)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
    const [, type, uri, suite, rest] = m ?? [];
    if (type === undefined || uri === undefined || suite === undefined) {
      problems.push({ origin, reason: 'expected "deb [options] uri suite [component …]"' });
      return;
    }
    const components = (rest ?? '').trim();
    sources.push({
      type: type as AptSource['type'],
      uri: trimSlash(uri),
      suites: [suite],
      components: components === '' ? [] : components.split(/\s+/),
      origin,
    });
  });
  return { sources, problems };
}

/** The deb822 style (sources.list(5), "DEB822-STYLE FORMAT"): `Types`, `URIs`, `Suites`, `Components`, `Enabled`. */
export function parseDeb822Sources(text: string, file: string): ParsedAptSources {
  const parsed = parseDeb822(text, { comments: true });
  const sources: AptSource[] = [];
  const problems: AptSourcesProblem[] = parsed.problems.map((p) => ({
    origin: `${file}:${p.line}`,
    reason: p.reason,
  }));
  for (const paragraph of parsed.paragraphs) {
    const origin = `${file}:${paragraph.line}`;
    const words = (field: string): string[] =>
      (paragraph.fields.get(field) ?? '').split(/\s+/).filter(Boolean);
    if ((paragraph.fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const types = words('types').filter((t): t is AptSource['type'] => t === 'deb' || t === 'deb-src');
    const uris = words('uris');
    const suites = words('suites');
    if (types.length === 0 || uris.length === 0 || suites.length === 0) {
      problems.push({ origin, reason: 'a source needs Types (deb or deb-src), URIs and Suites' });
      continue;
    }
    for (const type of types) {
      for (const uri of uris) {
        sources.push({ type, uri: trimSlash(uri), suites, components: words('components'), origin });
      }
    }
  }
  return { sources, problems };
}
