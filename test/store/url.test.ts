import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
  ])('%s', (url, location) => {
    expect(parseStoreUrl(url, dataDir)).toEqual(location);
  });

  it.each(['', 'sqlite:', 'sqlite3', 'mysql://root:hunter2@db/fleet', 'postgres:/db', 'file:///x.db'])(
    'refuses %j, naming what is accepted and never the password',
    (url) => {
      expect(() => parseStoreUrl(url, dataDir)).toThrow(StoreUrlError);
      try {
        parseStoreUrl(url, dataDir);
      } catch (error) {
        expect((error as Error).message).toContain('postgres://user:password@host:port/database');
        expect((error as Error).message).not.toContain('hunter2');
      }
    },
  );
});
