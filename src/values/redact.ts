// Secrets never reach logs, error messages or diagnostics (catalogue I7, S06). Anything that echoes a value a user
// wrote, or a URL it was given, passes it through here first; a value known to be a secret is replaced whole.

/** What a hidden secret is shown as. */
export const REDACTED = '***';

// Kea masks keys ending in `password` and `secret` (ARM 2.2 §23.2); catalogue S06 widens that to any name
// containing pass, secret, token or key, in any case. Over-masking an innocent `monkey` costs nothing.
const SECRET_NAME = /pass|secret|token|key/i;

/** Whether a setting, parameter or field of this name holds a secret, so its value is never shown. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

// `scheme://` and the rest of the line. The userinfo ends at the LAST `@` of that rest, not at the first `/`:
// a password may hold an unencoded `/`, `@`, `#` or space (node-postgres re-encodes them and connects), and a
// rule that stopped early would print the tail of the password. Reading too far only hides more than needed.
const URL_WITH_REST = /\b([a-z][a-z0-9+.-]*:\/\/)([^\r\n]*)/gi;

// `name=value` where the name looks secret: URL query parameters (`?password=…`, which libpq and node-postgres
// read) and libpq `key=value` connection strings. A value ends at whitespace, `&` or `#`, or is single-quoted.
const SECRET_PAIR = /(^|[^\w-])([\w-]*(?:pass|secret|token|key)[\w-]*=)('(?:[^'\\]|\\.)*'|[^\s&#]*)/gi;

/**
 * `text` with every URL password (`postgres://fb:hunter2@db/x` → `postgres://fb:***@db/x`) and every secret-named
 * `name=value` replaced by `***`. The user name and host stay: they are what a reader needs to find the mistake.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(URL_WITH_REST, (_match, scheme: string, rest: string) => scheme + redactUserinfo(rest))
    .replace(SECRET_PAIR, (_match, before: string, name: string) => `${before}${name}${REDACTED}`);
}

/** `user:password@host…` → `user:***@host…`; unchanged without an `@` or without a password. */
function redactUserinfo(afterScheme: string): string {
  const at = afterScheme.lastIndexOf('@');
  const colon = afterScheme.indexOf(':');
  if (at < 0 || colon < 0 || colon > at) return afterScheme;
  return `${afterScheme.slice(0, colon + 1)}${REDACTED}${afterScheme.slice(at)}`;
}
