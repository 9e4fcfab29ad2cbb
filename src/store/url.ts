// Where the store lives: the `store:` setting, a `--store` flag, or the location the config loader resolved.
// The text is parsed by src/values/store-location.ts, the parser the config loader uses, so both read a location
// the same way; this module only turns its refusal into the store's own error.
import { InvalidValueError } from '../values/brand.js';
import { redactCredentials } from '../values/redact.js';
import { parseStoreLocation, type StoreLocation } from '../values/store-location.js';
import { StoreUrlError } from './errors.js';

export { SQLITE_DEFAULT_FILE, SQLITE_MEMORY, type StoreLocation } from '../values/store-location.js';

/**
 * `sqlite` → `<dataDir>/fleetboot.db`; `sqlite:PATH` → PATH, relative to dataDir; `sqlite::memory:` → an
 * in-memory database; `postgres://…` or `postgresql://…` naming a server (or `?host=/socket/dir`) → PostgreSQL.
 * @throws StoreUrlError, which holds the URL with its password masked (an error is logged whole)
 */
export function parseStoreUrl(url: string, dataDir: string): StoreLocation {
  try {
    return parseStoreLocation(url, dataDir);
  } catch (error) {
    if (error instanceof InvalidValueError) throw new StoreUrlError(redactCredentials(url));
    throw error;
  }
}
