// Child process for the busy-timeout test (catalogue F07): takes SQLite's write lock with BEGIN EXCLUSIVE, says
// so, holds it for the given time with the process blocked (as a stuck writer would), then commits.
// Usage: node --import tsx hold-lock.ts <database file> <milliseconds>
import SqliteDatabase from 'better-sqlite3';

const [file, holdMs] = process.argv.slice(2);
if (file === undefined || holdMs === undefined)
  throw new Error('usage: hold-lock.ts <database file> <milliseconds>');
const db = new SqliteDatabase(file);
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\n');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdMs));
db.exec('COMMIT');
db.close();
