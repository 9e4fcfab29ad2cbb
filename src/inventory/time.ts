/**
 * A wall-clock instant in milliseconds since the Unix epoch, as `Clock.now()` gives it. Plain integers rather than
 * `Date`: they compare with `<`, serialise without a time zone, and store identically in SQLite and PostgreSQL.
 */
export type EpochMs = number;
