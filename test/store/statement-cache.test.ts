import SqliteDatabase from 'better-sqlite3';
import type { SqliteDatabase as KyselySqlite } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { withStatementCache } from '../../src/store/statement-cache.js';

/** An in-memory database whose prepare() calls are counted. */
function counted(): { db: KyselySqlite; prepared: string[]; raw: SqliteDatabase.Database } {
  const raw = new SqliteDatabase(':memory:');
  const prepared: string[] = [];
  const db: KyselySqlite = {
    prepare: (sql) => {
      prepared.push(sql);
      return raw.prepare(sql);
    },
    close: () => raw.close(),
  };
  onTestFinished(() => {
    if (raw.open) raw.close();
  });
  return { db, prepared, raw };
}

describe('the SQLite statement cache', () => {
  it('compiles a text once and runs it again with other parameters', () => {
    const { db, prepared } = counted();
    const cache = withStatementCache(db);
    cache.prepare('create table t (a integer)').run([]);
    for (const a of [1, 2, 3]) cache.prepare('insert into t (a) values (?)').run([a]);
    expect(cache.prepare('select a from t order by a').all([])).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(cache.prepare('select a from t order by a').all([])).toHaveLength(3);
    expect(prepared).toEqual([
      'create table t (a integer)',
      'insert into t (a) values (?)',
      'select a from t order by a',
    ]);
  });

  it('evicts the least recently used text beyond its size', () => {
    const { db, prepared } = counted();
    const cache = withStatementCache(db, 2);
    cache.prepare('select 1');
    cache.prepare('select 2');
    cache.prepare('select 1'); // now the most recent
    cache.prepare('select 3'); // evicts select 2
    cache.prepare('select 1');
    cache.prepare('select 2');
    expect(prepared).toEqual(['select 1', 'select 2', 'select 3', 'select 2']);
  });

  it('keeps a cached statement working after the schema changes (a migration)', () => {
    const { db } = counted();
    const cache = withStatementCache(db);
    cache.prepare('create table t (a integer)').run([]);
    cache.prepare('insert into t (a) values (?)').run([1]);
    expect(cache.prepare('select * from t').all([])).toEqual([{ a: 1 }]);
    cache.prepare('alter table t add column b text').run([]);
    expect(cache.prepare('select * from t').all([])).toEqual([{ a: 1, b: null }]);
  });

  it('closes the database', () => {
    const { db, raw } = counted();
    withStatementCache(db).close();
    expect(raw.open).toBe(false);
  });
});
