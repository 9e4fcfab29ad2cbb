// The state an install mark was made from (InstallMark.from), so that withdrawing a mark before the installer ran
// (cancel, expiry while queued) restores it: a canceled reinstall must leave an installed machine installed, or a
// plain install mark could then wipe it (catalogue S07). Nullable: marks made before this migration read as made
// from `ready`, which is what the lifecycle assumed for them then.
import type { Kysely, Migration } from 'kysely';

export function installMarkOriginSchema(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      // Validated by the codec on write and read (store/queries/machine-codec.ts); SQLite cannot add a CHECK to
      // an existing table without rebuilding it.
      await db.schema.alterTable('machines').addColumn('mark_from', 'text').execute();
    },
  };
}
