import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Logger } from '../../src/observability/logger.js';
import { StoreConfigError, StoreUnavailableError } from '../../src/store/errors.js';
import { openStore } from '../../src/store/open.js';
import { describeServer } from '../../src/store/postgres.js';
import type { Store } from '../../src/store/types.js';
import { memoryLogger } from '../support/logger.js';
import { storeConformance, type StoreHarness } from './conformance.js';
import { lease, mac } from './fixtures.js';

export const POSTGRES_URL =
  process.env.FLEETBOOT_TEST_POSTGRES_URL ?? 'postgres://fleetboot:fleetboot@127.0.0.1:5432/fleetboot_test';

/** Schemas of this run share a random prefix, so parallel runs (two checkouts, two CI jobs) never collide. */
const RUN = `fbtest_${randomBytes(4).toString('hex')}`;
let schemas = 0;

/**
 * A client for setup; fails with what to do when the server is not there. CI starts it before the tests, so an
 * unreachable server is a failure, never a skip: a skipped suite would hide a broken PostgreSQL store.
 */
export async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined); // a server restart in a fault test must not crash the runner
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined);
    throw new Error(
      `PostgreSQL is not reachable at ${describeServer(POSTGRES_URL)} (${error instanceof Error ? error.message : String(error)}). ` +
        'Start it with `sudo scripts/ci/postgres.sh`, or point FLEETBOOT_TEST_POSTGRES_URL at a server ' +
        'where the user may create schemas.',
    );
  }
  return client;
}

/** A fresh schema per test; the store's tables live there through `postgresSchema` (search_path). */
export const postgresHarness: StoreHarness = async () => {
  const schema = `${RUN}_${++schemas}`;
  const admin = await adminClient();
  await admin.query(`create schema "${schema}"`);
  const opened: Store[] = [];
  onTestFinished(async () => {
    await Promise.all(opened.map((store) => store.close()));
    await admin.query(`drop schema "${schema}" cascade`);
    await admin.end();
  });
  return {
    dialect: 'postgres',
    async open(options = {}) {
      const store = await openStore(POSTGRES_URL, {
        dataDir: '/nonexistent',
        postgresSchema: schema,
        ...options,
      });
      opened.push(store);
      return store;
    },
    async execute(statement) {
      await admin.query(`set search_path to "${schema}"`);
      await admin.query(statement);
    },
    async query(statement, parameters = []) {
      await admin.query(`set search_path to "${schema}"`);
      return (await admin.query<Record<string, unknown>>(statement, [...parameters])).rows;
    },
  };
};

describe('PostgreSQL store', () => {
  // A test that failed before its cleanup ran (or a killed run) can leave schemas of this run behind.
  afterAll(async () => {
    const admin = await adminClient();
    try {
      const { rows } = await admin.query<{ nspname: string }>(
        'select nspname from pg_namespace where nspname like $1',
        [`${RUN}\\_%`],
      );
      for (const { nspname } of rows) await admin.query(`drop schema "${nspname}" cascade`);
    } finally {
      await admin.end();
    }
  });

  storeConformance(postgresHarness);
});

/** A store in its own schema, opened with extra URL parameters; dropped when the test finishes. */
async function isolatedStore(
  urlParameters: string,
  logger?: Logger,
): Promise<{ store: Store; admin: pg.Client; schema: string }> {
  const schema = `${RUN}_${++schemas}`;
  const admin = await adminClient();
  await admin.query(`create schema "${schema}"`);
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}${urlParameters}`;
  const store = await openStore(url, {
    dataDir: '/nonexistent',
    postgresSchema: schema,
    ...(logger ? { logger } : {}),
  });
  onTestFinished(async () => {
    await store.close();
    await admin.query(`drop schema "${schema}" cascade`);
    await admin.end();
  });
  await store.migrate();
  return { store, admin, schema };
}

describe('PostgreSQL faults', () => {
  it('logs lost connections instead of crashing, reports the store down, then serves from new ones (P3, F05)', async () => {
    const appName = `fleetboot-test-${randomBytes(4).toString('hex')}`;
    const { logger, lines } = memoryLogger();
    const { store, admin } = await isolatedStore(`application_name=${appName}`, logger);
    const changes: string[] = [];
    store.onHealthChange((health) => changes.push(health));
    // Several idle connections in the pool, as after a burst of DHCP traffic.
    await Promise.all(Array.from({ length: 5 }, (_, i) => store.inventory.recordContact({ mac: mac(i) })));
    expect(store.health()).toBe('up');
    // What a server restart does to every connection (`pg_ctlcluster 15 main restart` in F05).
    const { rows } = await admin.query<{ killed: boolean }>(
      'select pg_terminate_backend(pid) as killed from pg_stat_activity where application_name = $1',
      [appName],
    );
    expect(rows.length).toBeGreaterThan(1);
    // Each dead idle connection is logged once. (A query that raced onto one before its error arrived would fail
    // with that error, which its caller handles; once they are all reported, none is left in the pool.)
    const lost = () => lines().filter((l) => l.msg === 'PostgreSQL connection lost; the pool replaces it');
    await expect.poll(() => lost().length).toBe(rows.length);
    expect(lost()[0]).toMatchObject({ level: 50, err: { code: '57P01' } });
    // The composition root learns it (/healthz, the DHCP server pauses) without waiting for a query to fail.
    expect(store.health()).toBe('down');
    expect(changes).toEqual(['down']);
    // ping() is how a supervisor finds out it is back: one round trip on a new connection.
    await store.ping();
    expect(store.health()).toBe('up');
    expect(changes).toEqual(['down', 'up']);
    // An unhandled 'error' event would have failed this test run already; the store still answers.
    expect((await store.inventory.list()).total).toBe(5);
    expect((await store.inventory.recordContact({ mac: mac(9) })).created).toBe(true);
  });

  it('fails a query whose connection is cut with StoreUnavailableError, and reports the store down (P3)', async () => {
    const appName = `fleetboot-test-${randomBytes(4).toString('hex')}`;
    const { logger, lines } = memoryLogger();
    const { store, admin, schema } = await isolatedStore(`application_name=${appName}`, logger);
    const changes: string[] = [];
    store.onHealthChange((health) => changes.push(health));
    // Hold the leases table, so the store's commit waits on the server with its connection checked out…
    const locker = await adminClient();
    onTestFinished(() => locker.end());
    await locker.query('begin');
    await locker.query(`lock table "${schema}".leases in access exclusive mode`);
    // Its outcome is taken at once: it settles while this test is still busy cutting the connection.
    const outcome = store.leases.commit(lease(1, '192.0.2.10', Date.now() + 60_000)).then(
      (written) => ({ written, error: undefined }),
      (error: unknown) => ({ written: undefined, error }),
    );
    const waiting = async () =>
      (
        await admin.query<{ pid: number }>(
          "select pid from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'",
          [appName],
        )
      ).rows;
    await expect.poll(async () => (await waiting()).length).toBe(1);
    // …then cut that connection, as a server restart or a network failure would.
    await admin.query('select pg_terminate_backend($1)', [(await waiting())[0]?.pid]);
    const { written, error } = await outcome;
    expect(written).toBeUndefined();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ code: 'FLEETBOOT_STORE_UNAVAILABLE', cause: { code: '57P01' } });
    expect(store.health()).toBe('down');
    // Kysely hands the client back to the pool as soon as its query fails, before the client sees its socket
    // close; a query in between would fail the same way (and keep the store down). Once the client reports the
    // loss, the pool has dropped it.
    await expect
      .poll(() => lines().filter((l) => l.msg === 'PostgreSQL connection lost; the pool replaces it').length)
      .toBe(1);
    await locker.query('rollback');
    await store.ping();
    expect(changes).toEqual(['down', 'up']);
    expect((await store.leases.commit(lease(1, '192.0.2.10', Date.now() + 60_000))).state).toBe('bound');
  });

  it('refuses to open with wrong credentials, naming the server but not the password (catalogue F06)', async () => {
    const url = new URL(POSTGRES_URL);
    url.password = 'not-the-password-s3cret';
    const attempt = openStore(url.toString(), { dataDir: '/nonexistent' });
    await expect(attempt).rejects.toThrow(StoreUnavailableError);
    await expect(attempt).rejects.toThrow(`${url.hostname}:${url.port || '5432'}${url.pathname}`);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  it('refuses to open when nothing listens, quickly and with the address it tried', async () => {
    const url = new URL(POSTGRES_URL);
    url.port = '1'; // nothing listens on tcpmux
    const started = performance.now();
    await expect(openStore(url.toString(), { dataDir: '/nonexistent' })).rejects.toThrow(
      new RegExp(`cannot reach the database at ${url.hostname}:1/`),
    );
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('refuses a schema name it would have to quote, and a schema that does not exist (StoreConfigError)', async () => {
    const quoted = openStore(POSTGRES_URL, { dataDir: '/x', postgresSchema: 'x"; drop table y; --' });
    await expect(quoted).rejects.toThrow(StoreConfigError);
    await expect(quoted).rejects.toThrow(/invalid PostgreSQL schema name/);
    const missing = openStore(POSTGRES_URL, { dataDir: '/x', postgresSchema: `${RUN}_missing` });
    await expect(missing).rejects.toThrow(StoreConfigError);
    await expect(missing).rejects.toMatchObject({ code: 'FLEETBOOT_STORE_CONFIG' });
    await expect(missing).rejects.toThrow(/create it first/);
  });
});
