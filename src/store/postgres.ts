// PostgreSQL, for several boot servers sharing one fleet (design.md §6): a pg Pool behind Kysely.
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../observability/logger.js';
import { type SqlAdapter, errorCode } from './adapter.js';
import { StoreConfigError, StoreUnavailableError } from './errors.js';
import type { Database } from './schema.js';

export interface PostgresOptions {
  readonly url: string;
  /** Schema for all tables (search_path); default: the server's (`public`). Tests use one schema per run. */
  readonly schema?: string | undefined;
  readonly poolSize: number;
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
// int8 (bigint) arrives as a string by default, for values beyond 2^53. Ours are ms timestamps, ids and counts,
// far below that: parse them to numbers so both dialects return the same domain values.
const INT8_OID = 20;

const defaultTypeParser = pg.types.getTypeParser as (oid: number, format?: string) => unknown;

function typeParser(oid: number, format?: string): unknown {
  return oid === INT8_OID && format !== 'binary' ? Number : defaultTypeParser(oid, format);
}

/**
 * Opens the pool and checks the server answers. `migrationSchema` is where unqualified tables go: Kysely's
 * Migrator must be told, or it finds its bookkeeping tables in any other schema of the database and skips
 * creating its own.
 */
export async function openPostgres(
  options: PostgresOptions,
): Promise<{ db: Kysely<Database>; adapter: SqlAdapter; migrationSchema: string }> {
  const { url, schema, logger } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new StoreConfigError(
      `invalid PostgreSQL schema name "${schema}": lower-case letters, digits and _ only`,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: 'fleetboot', // a `application_name` in the URL wins
    types: { getTypeParser: typeParser as typeof pg.types.getTypeParser },
  });
  const lost = new Set<(error: Error) => void>();
  watchConnectionErrors(pool, logger, (error) => {
    for (const listener of lost) listener(error);
  });

  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool,
      async onCreateConnection(connection) {
        // Catalogue F15: a commit returns only once it is on disk, whatever the server's default says.
        await connection.executeQuery(CompiledQuery.raw('set synchronous_commit to on'));
        if (schema !== undefined)
          await connection.executeQuery(CompiledQuery.raw(`set search_path to "${schema}"`));
      },
    }),
  });
  // pg connects lazily: ask now, so an unreachable server or bad credentials fail the start with a clear message
  // (catalogue F06) rather than the first DHCP packet.
  let current: string | null | undefined;
  try {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    current = rows[0]?.schema;
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new StoreUnavailableError(describeServer(url), error);
  }
  if (current === null || current === undefined) {
    await db.destroy();
    throw new StoreConfigError(
      `no schema of the search_path exists in ${describeServer(url)}${schema === undefined ? '' : ` (schema "${schema}")`}: create it first`,
    );
  }
  return {
    db,
    adapter: postgresAdapter(describeServer(url), (listener) => lost.add(listener)),
    migrationSchema: current,
  };
}

/**
 * Catalogue P3/F05: a connection that dies (server restart, network cut) makes pg emit 'error' on the pool when
 * the client is idle, and on the client itself when it is checked out between two queries. Unhandled, either
 * one kills the process (brianc/node-postgres#1542, #2439). Log it instead, and tell the store (it reports itself
 * down until a query succeeds again); the pool drops that client, and the next query either reconnects or fails
 * with an error its caller handles.
 */
function watchConnectionErrors(pool: pg.Pool, logger: Logger, lost: (error: Error) => void): void {
  const logged = new WeakSet<Error>();
  const report = (error: Error): void => {
    if (logged.has(error)) return; // an idle client's error reaches both listeners
    logged.add(error);
    logger.error({ err: error }, 'PostgreSQL connection lost; the pool replaces it');
    lost(error);
  };
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
}

/** Host, port and database of a URL: what an error may say. Never the user or the password. */
export function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'the configured PostgreSQL server';
  }
}

// SQLSTATE (PostgreSQL Appendix A): 23505 unique_violation, 23514 check_violation.
// The server cannot serve us now: 08 connection exception, 53 insufficient resources (disk full, out of memory,
// too many connections), 58 system error (I/O), 57P01-57P04 shutting down, crashed, starting up, dropped.
const UNAVAILABLE_SQLSTATE = /^(?:08|53|58)[0-9A-Z]{3}$|^57P0[1-4]$/;
// Another transaction was in the way; nothing was written, and a retry may work: 40001 serialization_failure,
// 40P01 deadlock_detected, 55P03 lock_not_available, 57014 query_canceled (statement_timeout).
const BUSY_SQLSTATES = new Set(['40001', '40P01', '55P03', '57014']);
const UNAVAILABLE_SYSCALL = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGE =
  /^(?:Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;
const KEY_COLUMNS = /^Key \(([^)]*)\)=/;

export function postgresAdapter(
  target: string,
  onConnectionLost: (listener: (error: Error) => void) => void,
): SqlAdapter {
  return {
    dialect: 'postgres',
    target,
    onConnectionLost,
    failure(error) {
      const code = errorCode(error);
      if (code !== undefined && BUSY_SQLSTATES.has(code)) return 'busy';
      if (code !== undefined && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_SYSCALL.has(code))) {
        return 'unavailable';
      }
      // node-postgres reports a socket that closes, or a pool that cannot connect in time, without a code.
      return error instanceof Error && code === undefined && UNAVAILABLE_MESSAGE.test(error.message)
        ? 'unavailable'
        : undefined;
    },
    uniqueViolation(error) {
      if (errorCode(error) !== '23505') return undefined;
      const detail = (error as { detail?: unknown }).detail;
      const columns = typeof detail === 'string' ? KEY_COLUMNS.exec(detail)?.[1] : undefined;
      return columns?.split(', ') ?? [];
    },
    checkViolation(error) {
      if (errorCode(error) !== '23514') return undefined;
      const constraint = (error as { constraint?: unknown }).constraint;
      return typeof constraint === 'string' ? constraint : '';
    },
    /**
     * Sequence values are handed out before commit, so two concurrent appends can commit as 8 then 7, and a reader
     * that had just seen 8 would resume "after 8" and never see 7. A transaction-scoped advisory lock per log makes
     * appends commit in id order; it costs one round trip and serialises appends to one log, not readers.
     */
    appendInOrder: (db, log, insert) =>
      db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${sql.lit(APPEND_LOCKS[log])})`.execute(trx);
        return insert(trx);
      }),
    // Read committed (the default) takes a new snapshot per statement; repeatable read keeps one for the
    // transaction, and a read-only one never fails with a serialisation error.
    readSnapshot: (db, read) =>
      db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(read),
    // json_agg of no rows is NULL, not []; text, so both dialects hand the decoder the same thing.
    jsonArrayAgg: (element, orderBy) =>
      sql<string>`coalesce(json_agg(${element} order by ${orderBy}), '[]')::text`,
    jsonArray: (values) => sql`json_build_array(${sql.join(values)})`,
    // Kysely's migrator already runs in one transaction under an advisory lock on PostgreSQL.
    writeTransaction: (db, write) => db.transaction().execute(write),
    migrateExclusively: (db, migrate) => migrate(db),
  };
}

// Arbitrary but fixed keys for pg_advisory_xact_lock, one per log ("fb" + table number).
const APPEND_LOCKS = { events: 0x66620001, audit_log: 0x66620002 } as const;
