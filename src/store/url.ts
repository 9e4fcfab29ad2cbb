// Where the store lives: the `store:` setting, or the location the config loader already resolved.
import path from 'node:path';
import { StoreUrlError } from './errors.js';

/** A resolved location; the same shape as the config's StoreLocation, so `openStore(config.store)` works. */
export type StoreLocation =
  | { readonly dialect: 'sqlite'; readonly file: string }
  | { readonly dialect: 'postgres'; readonly url: string };

export const SQLITE_DEFAULT_FILE = 'fleetboot.db';
export const SQLITE_MEMORY = ':memory:';

/**
 * `sqlite` → `<dataDir>/fleetboot.db`; `sqlite:PATH` → PATH, relative to dataDir (a service's working directory
 * means nothing); `sqlite::memory:` → an in-memory database; `postgres://…` or `postgresql://…` → PostgreSQL.
 */
export function parseStoreUrl(url: string, dataDir: string): StoreLocation {
  const text = url.trim();
  if (text === 'sqlite') return { dialect: 'sqlite', file: path.resolve(dataDir, SQLITE_DEFAULT_FILE) };
  if (text === `sqlite:${SQLITE_MEMORY}`) return { dialect: 'sqlite', file: SQLITE_MEMORY };
  if (text.startsWith('sqlite:') && text.length > 'sqlite:'.length) {
    return { dialect: 'sqlite', file: path.resolve(dataDir, text.slice('sqlite:'.length)) };
  }
  if (/^postgres(ql)?:\/\//.test(text)) return { dialect: 'postgres', url: text };
  throw new StoreUrlError(url);
}
