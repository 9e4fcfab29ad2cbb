import path from 'node:path';
import { InvalidValueError } from './brand.js';

// Where the store lives, as written in `store:`, `--store` or a test. The one parser of that text: the config
// loader validates and resolves `store:` with it, and openStore parses a string with it, so the two cannot
// disagree about what a location means.

/** Where the store is: an SQLite file (absolute, or SQLITE_MEMORY) or a PostgreSQL connection URL. */
export type StoreLocation =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'postgres'; readonly url: string };

/**
 * A location as written, before a relative SQLite file is resolved: the config loader validates `store:` before
 * it knows which directory dataDir is. `file` is as written; undefined means the default file.
 */
export type StoreSpec =
  | { readonly dialect: 'sqlite'; readonly file?: string }
  | { readonly dialect: 'postgres'; readonly url: string };

export const SQLITE_DEFAULT_FILE = 'fleetboot.db';
/** SQLite's own name for a database that lives in memory and is gone when closed. */
export const SQLITE_MEMORY = ':memory:';

export const STORE_EXPECTED =
  'sqlite, sqlite:<file>, sqlite::memory:, or a postgres://user@host/database URL';
const URL_EXPECTED =
  'a postgres://user@host/database URL, with any @ : / ? # in the user name or password percent-encoded';
const HOST_EXPECTED =
  'a PostgreSQL URL that names the server: postgres://user@host/database, or ' +
  'postgres:///database?host=/run/postgresql for a Unix socket';
const SQLITE_URL_EXPECTED =
  'sqlite:<file> such as sqlite:/var/lib/fleetboot/fleetboot.db (a file name, not a sqlite:// URL)';

const POSTGRES = /^postgres(?:ql)?:\/\//;

/**
 * `sqlite` (the default file), `sqlite:<file>`, `sqlite::memory:`, or a `postgres://` / `postgresql://` URL that
 * names a server, in its authority or, for a Unix socket, as `?host=/run/postgresql` (libpq's form).
 * @throws InvalidValueError, whose message never holds the password
 */
export function parseStoreSpec(input: string): StoreSpec {
  const text = input.trim();
  if (text === 'sqlite') return { dialect: 'sqlite' };
  if (text.startsWith('sqlite://')) throw new InvalidValueError('store', input, SQLITE_URL_EXPECTED);
  if (text.startsWith('sqlite:')) {
    const file = text.slice('sqlite:'.length);
    if (file.trim() !== '') return { dialect: 'sqlite', file };
  } else if (POSTGRES.test(text)) {
    return { dialect: 'postgres', url: checkPostgresUrl(text, input) };
  }
  throw new InvalidValueError('store', input, STORE_EXPECTED);
}

/** A relative SQLite file is relative to `dataDir` (absolute): a service's working directory means nothing. */
export function resolveStoreSpec(spec: StoreSpec, dataDir: string): StoreLocation {
  if (spec.dialect === 'postgres') return spec;
  if (spec.file === SQLITE_MEMORY) return { dialect: 'sqlite', file: SQLITE_MEMORY };
  return { dialect: 'sqlite', file: path.resolve(dataDir, spec.file ?? SQLITE_DEFAULT_FILE) };
}

/** parseStoreSpec, then resolveStoreSpec. @throws InvalidValueError */
export function parseStoreLocation(input: string, dataDir: string): StoreLocation {
  return resolveStoreSpec(parseStoreSpec(input), dataDir);
}

/**
 * Accepts what node-postgres (pg-connection-string) connects with: a WHATWG URL, where an empty host after
 * credentials (`postgres://fb@/fleet?host=…`) is allowed as it allows it. A URL without a server is refused
 * although both drivers take it: libpq reads it as its default Unix socket and node-postgres as localhost TCP,
 * so it would not mean what the reader of the config thinks.
 */
function checkPostgresUrl(text: string, input: string): string {
  const emptyHost = !URL.canParse(text);
  const probe = emptyHost ? text.replace('@/', '@placeholder/') : text;
  if (!URL.canParse(probe)) throw new InvalidValueError('store', input, URL_EXPECTED);
  const url = new URL(probe);
  const host = emptyHost ? '' : url.hostname;
  if (host === '' && (url.searchParams.get('host') ?? '').trim() === '') {
    throw new InvalidValueError('store', input, HOST_EXPECTED);
  }
  return text;
}
