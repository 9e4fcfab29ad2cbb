// Child process for the busy-timeout tests (catalogue F07): takes SQLite's write lock with BEGIN EXCLUSIVE, says
// so, and holds it until the parent sends "release" (as a stuck writer would, for as long as the test needs);
// then commits and says "released".
// Usage: node --import tsx hold-lock.ts <database file>
import SqliteDatabase from 'better-sqlite3';
import { nextLine } from './lines.js';

const [file] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: hold-lock.ts <database file>');
const db = new SqliteDatabase(file);
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\n');
await nextLine('release');
db.exec('COMMIT');
db.close();
process.stdout.write('released\n');
process.exit(0); // stdin is still open: do not wait for the parent to close it
