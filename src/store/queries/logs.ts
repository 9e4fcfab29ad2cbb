// EventLog and AuditLog over Kysely: append-only tables read by id ranges and time.
import { type SelectQueryBuilder, sql } from 'kysely';
import type { AuditEntry, NewAuditEntry } from '../../inventory/audit.js';
import type { MachineEvent, NewMachineEvent } from '../../inventory/event.js';
import type { Database } from '../schema.js';
import {
  type AuditLog,
  type AuditQuery,
  DEFAULT_LOG_PAGE,
  type EventLog,
  type EventQuery,
  type LogQuery,
  MAX_LOG_PAGE,
} from '../types.js';
import { SqliteAppends } from './append-sqlite.js';
import { chunked } from './chunks.js';
import type { QueryContext } from './context.js';
import { decodeAll } from './decode.js';
import { decodeAudit, decodeEvent, encodeAudit, encodeEvent } from './log-codec.js';
import { checkEpochMs, checkInteger, checkText } from './validate.js';

type LogTable = 'events' | 'audit_log';

export class KyselyEventLog implements EventLog {
  /** On SQLite, appendMany's prepared statements (append-sqlite.ts); PostgreSQL runs the Kysely path. */
  private readonly sqliteAppends: SqliteAppends | undefined;

  constructor(private readonly ctx: QueryContext) {
    this.sqliteAppends = ctx.sqlite === undefined ? undefined : new SqliteAppends(ctx.sqlite);
  }

  async append(event: NewMachineEvent): Promise<number> {
    const row = encodeEvent(event, this.ctx.now());
    const { id } = await this.ctx.adapter.appendInOrder(this.ctx.db, 'events', (db) =>
      db.insertInto('events').values(row).returning('id').executeTakeFirstOrThrow(),
    );
    return id;
  }

  async appendMany(events: readonly NewMachineEvent[]): Promise<readonly number[]> {
    const now = this.ctx.now();
    // Encoded first: an invalid event fails the call before anything is written.
    const rows = events.map((event) => encodeEvent(event, now));
    if (rows.length === 0) return [];
    if (this.sqliteAppends !== undefined) return this.sqliteAppends.appendEvents(rows);
    return this.ctx.adapter.appendInOrder(this.ctx.db, 'events', async (db) => {
      const ids: number[] = [];
      for (const chunk of chunked(rows)) {
        const returned = await db.insertInto('events').values(chunk).returning('id').execute();
        // RETURNING promises no order. appendInOrder lets no other append in meanwhile, and both dialects take ids
        // for VALUES rows in order (SQLite's rowid, PostgreSQL's nextval per row), so sorted ids match the rows.
        ids.push(...returned.map((row) => row.id).sort((a, b) => a - b));
      }
      return ids;
    });
  }

  async list(query: EventQuery = {}): Promise<readonly MachineEvent[]> {
    const { machineId, mac } = query;
    const rows = await withRange(this.ctx.db.selectFrom('events').selectAll(), 'events', query)
      .$if(machineId !== undefined, (q) =>
        q.where((eb) => {
          const id = machineId ?? '';
          // Contacts from before enrolment carry only the MAC: they belong to the timeline too.
          return eb.or([
            eb('events.machine_id', '=', id),
            eb.and([
              eb('events.machine_id', 'is', null),
              eb(
                'events.mac',
                'in',
                eb
                  .selectFrom('machine_interfaces')
                  .select('machine_interfaces.mac')
                  .where('machine_interfaces.machine_id', '=', id),
              ),
            ]),
          ]);
        }),
      )
      .$if(mac !== undefined, (q) => q.where('events.mac', '=', mac ?? ''))
      .execute();
    return decodeAll(rows, decodeEvent, this.ctx.logger);
  }
}

export class KyselyAuditLog implements AuditLog {
  constructor(private readonly ctx: QueryContext) {}

  async append(entry: NewAuditEntry): Promise<number> {
    const row = encodeAudit(entry, this.ctx.now());
    const { id } = await this.ctx.adapter.appendInOrder(this.ctx.db, 'audit_log', (db) =>
      db.insertInto('audit_log').values(row).returning('id').executeTakeFirstOrThrow(),
    );
    return id;
  }

  async list(query: AuditQuery = {}): Promise<readonly AuditEntry[]> {
    const { actor, action, target, outcome } = query;
    const rows = await withRange(this.ctx.db.selectFrom('audit_log').selectAll(), 'audit_log', query)
      .$if(actor !== undefined, (q) => q.where('audit_log.actor', '=', checkText('actor', actor ?? '')))
      .$if(action !== undefined, (q) => q.where('audit_log.action', '=', checkText('action', action ?? '')))
      .$if(target !== undefined, (q) =>
        q.where('audit_log.target', '=', checkText('target', target ?? '', { allowEmpty: true })),
      )
      .$if(outcome !== undefined, (q) => q.where('audit_log.outcome', '=', outcome ?? 'ok'))
      .execute();
    return decodeAll(rows, decodeAudit, this.ctx.logger);
  }
}

/** Time range, id range, order and limit, common to both logs. */
function withRange<T extends LogTable, O>(
  query: SelectQueryBuilder<Database, T, O>,
  table: T,
  range: LogQuery,
): SelectQueryBuilder<Database, T, O> {
  const { since, until, afterId, beforeId } = range;
  const limit =
    range.limit === undefined ? DEFAULT_LOG_PAGE : checkInteger('limit', range.limit, 1, MAX_LOG_PAGE);
  const order = range.order ?? 'asc';
  // Both logs have integer id and at columns; sql.ref keeps this one function for both tables.
  const col = (c: 'id' | 'at') => sql.ref<number>(`${table}.${c}`);
  return query
    .$if(since !== undefined, (q) => q.where(col('at'), '>=', checkEpochMs('since', since ?? 0)))
    .$if(until !== undefined, (q) => q.where(col('at'), '<', checkEpochMs('until', until ?? 0)))
    .$if(afterId !== undefined, (q) =>
      q.where(col('id'), '>', checkInteger('afterId', afterId ?? 0, 0, Number.MAX_SAFE_INTEGER)),
    )
    .$if(beforeId !== undefined, (q) =>
      q.where(col('id'), '<', checkInteger('beforeId', beforeId ?? 0, 0, Number.MAX_SAFE_INTEGER)),
    )
    .orderBy(col('id'), order === 'desc' ? 'desc' : 'asc')
    .limit(limit);
}
