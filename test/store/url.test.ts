import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { StoreUrlError } from '../../src/store/errors.js';
import { parseStoreUrl } from '../../src/store/url.js';

describe('store URL', () => {
  const dataDir = '/var/lib/fleetboot';

  it.each([
    ['sqlite', { dialect: 'sqlite', file: '/var/lib/fleetboot/fleetboot.db' }],
    [' sqlite ', { dialect: 'sqlite', file: '/var/lib/fleetboot/fleetboot.db' }],
    ['sqlite:/srv/fb/inventory.db', { dialect: 'sqlite', file: '/srv/fb/inventory.db' }],
    ['sqlite:state/fb.db', { dialect: 'sqlite', file: path.join(dataDir, 'state/fb.db') }],
    ['sqlite::memory:', { dialect: 'sqlite', file: ':memory:' }],
    ['postgres://fb:pw@db:5432/fleet', { dialect: 'postgres', url: 'postgres://fb:pw@db:5432/fleet' }],
    ['postgresql://db/fleet', { dialect: 'postgres', url: 'postgresql://db/fleet' }],
    [
      'postgres:///fleet?host=/var/run/postgresql',
      { dialect: 'postgres', url: 'postgres:///fleet?host=/var/run/postgresql' },
    ],
  ])('%s', (url, location) => {
    expect(parseStoreUrl(url, dataDir)).toEqual(location);
  });

  it.each([
    '',
    'sqlite:',
    'sqlite3',
    'mysql://root:hunter2@db/fleet',
    'postgres:/db',
    'file:///x.db',
    'postgres://fb:hunter2@/fleet',
    'postgres://',
  ])('refuses %j, naming what is accepted and never the password', (url) => {
    expect(() => parseStoreUrl(url, dataDir)).toThrow(StoreUrlError);
    try {
      parseStoreUrl(url, dataDir);
    } catch (error) {
      expect((error as Error).message).toContain('postgres://user:password@host:port/database');
      expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
        'hunter2',
      );
    }
  });

  // `--store`, openStore('…') and `store:` in fleetboot.yaml go through one parser: what one accepts the other
  // accepts, with the same meaning.
  it.each([
    'sqlite',
    'sqlite:state/fb.db',
    'sqlite:/srv/fb.db',
    'sqlite::memory:',
    'postgres://fb:pw@db:5432/fleet',
    'postgres:///fleet?host=/var/run/postgresql',
    'postgresql://fleetboot@/fleet?host=/run/postgresql',
    'postgres://%2Fvar%2Frun%2Fpostgresql/fleet',
    'postgres://',
    'postgres:///fleet',
    'postgres://fb:pw@/fleet',
    'sqlite://x.db',
    'mysql://db/fleet',
  ])('agrees with the config loader on %j', (store) => {
    const fromStore = attempt(() => parseStoreUrl(store, dataDir));
    const fromConfig = attempt(
      () => loadConfig({ env: { FLEETBOOT_STORE: store, FLEETBOOT_DATA_DIR: dataDir } }).config.store,
    );
    if (fromStore.ok) expect(fromConfig).toEqual(fromStore);
    else expect(fromConfig.ok || fromConfig.error).toBeInstanceOf(ConfigError);
  });
});

function attempt<T>(f: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, error };
  }
}
