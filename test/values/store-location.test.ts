import { describe, expect, it } from 'vitest';
import { InvalidValueError } from '../../src/values/brand.js';
import {
  parseStoreLocation,
  parseStoreSpec,
  resolveStoreSpec,
  STORE_EXPECTED,
} from '../../src/values/store-location.js';

const dataDir = '/var/lib/fleetboot';

describe('parseStoreLocation', () => {
  it.each([
    ['sqlite', { dialect: 'sqlite', file: '/var/lib/fleetboot/fleetboot.db' }],
    [' sqlite ', { dialect: 'sqlite', file: '/var/lib/fleetboot/fleetboot.db' }],
    ['sqlite:/srv/fb/inventory.db', { dialect: 'sqlite', file: '/srv/fb/inventory.db' }],
    ['sqlite:state/fb.db', { dialect: 'sqlite', file: '/var/lib/fleetboot/state/fb.db' }],
    ['sqlite:../fb.db', { dialect: 'sqlite', file: '/var/lib/fb.db' }],
    ['sqlite::memory:', { dialect: 'sqlite', file: ':memory:' }],
    ['postgres://fb:pw@db:5432/fleet', { dialect: 'postgres', url: 'postgres://fb:pw@db:5432/fleet' }],
    ['postgresql://db/fleet', { dialect: 'postgres', url: 'postgresql://db/fleet' }],
    [
      'postgres://[2001:db8::1]:5433/fleet',
      { dialect: 'postgres', url: 'postgres://[2001:db8::1]:5433/fleet' },
    ],
    // libpq's Unix-socket forms (peer authentication), which node-postgres reads the same way.
    [
      'postgres:///fleet?host=/var/run/postgresql',
      { dialect: 'postgres', url: 'postgres:///fleet?host=/var/run/postgresql' },
    ],
    [
      'postgresql://fleetboot@/fleet?host=/run/postgresql',
      { dialect: 'postgres', url: 'postgresql://fleetboot@/fleet?host=/run/postgresql' },
    ],
    [
      'postgres://%2Fvar%2Frun%2Fpostgresql/fleet',
      { dialect: 'postgres', url: 'postgres://%2Fvar%2Frun%2Fpostgresql/fleet' },
    ],
  ])('%s is %j', (input, location) => {
    expect(parseStoreLocation(input, dataDir)).toEqual(location);
  });

  const HOST = /names the server: postgres:\/\/user@host\/database, or postgres:\/\/\/database\?host=/;
  it.each([
    ['', STORE_EXPECTED],
    ['sqlite:', STORE_EXPECTED],
    ['sqlite: ', STORE_EXPECTED],
    ['sqlite3', STORE_EXPECTED],
    ['SQLite', STORE_EXPECTED],
    ['file:///x.db', STORE_EXPECTED],
    ['mysql://root:hunter2@db/fleet', STORE_EXPECTED],
    ['postgres:/db', STORE_EXPECTED],
    ['postgres:db', STORE_EXPECTED],
    ['sqlite:///var/lib/x.db', /a file name, not a sqlite:\/\/ URL/],
    ['postgres://', HOST],
    ['postgres:///fleet', HOST],
    ['postgres:///fleet?host=', HOST],
    ['postgres://fb:hunter2@/fleet', HOST],
    ['postgres://db:port/fleet', /percent-encoded/],
  ])('refuses %j, expecting %s', (input, expected) => {
    let error: unknown;
    try {
      parseStoreLocation(input, dataDir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidValueError);
    const { expected: said, message } = error as InvalidValueError;
    if (typeof expected === 'string') expect(said).toBe(expected);
    else expect(said).toMatch(expected);
    expect(message).not.toContain('hunter2');
  });
});

describe('parseStoreSpec and resolveStoreSpec', () => {
  it('keep the file as written until dataDir is known', () => {
    expect(parseStoreSpec('sqlite')).toEqual({ dialect: 'sqlite' });
    expect(parseStoreSpec('sqlite:db/x.db')).toEqual({ dialect: 'sqlite', file: 'db/x.db' });
    expect(resolveStoreSpec({ dialect: 'sqlite', file: 'db/x.db' }, '/srv')).toEqual({
      dialect: 'sqlite',
      file: '/srv/db/x.db',
    });
    expect(resolveStoreSpec({ dialect: 'postgres', url: 'postgres://db/x' }, '/srv')).toEqual({
      dialect: 'postgres',
      url: 'postgres://db/x',
    });
  });
});
