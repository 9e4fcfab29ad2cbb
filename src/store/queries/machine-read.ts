// Reading machines. A machine is a row with its interfaces and labels; reading them with separate statements lets
// a concurrent forget or update land in between, and the reader then sees a machine without interfaces, or version
// N with the MACs of version N+1 (on the DHCP path, getByMac). One statement reads one snapshot in both dialects,
// so the interfaces and labels come along as JSON aggregates of correlated subqueries.
import { type Kysely, sql } from 'kysely';
import type { SqlAdapter } from '../adapter.js';
import type { Database } from '../schema.js';

/** Machines, each row with `macs` (JSON array of MACs in interface order) and `labels` (JSON array of [key, value]). */
export function selectMachines(db: Kysely<Database>, adapter: SqlAdapter) {
  return db
    .selectFrom('machines')
    .selectAll('machines')
    .select((eb) => [
      eb
        .selectFrom('machine_interfaces')
        .select(
          adapter
            .jsonArrayAgg(sql.ref('machine_interfaces.mac'), sql.ref('machine_interfaces.position'))
            .as('agg'),
        )
        .whereRef('machine_interfaces.machine_id', '=', 'machines.id')
        .as('macs'),
      eb
        .selectFrom('machine_labels')
        .select(
          adapter
            .jsonArrayAgg(
              adapter.jsonArray([sql.ref('machine_labels.key'), sql.ref('machine_labels.value')]),
              sql.ref('machine_labels.key'),
            )
            .as('agg'),
        )
        .whereRef('machine_labels.machine_id', '=', 'machines.id')
        .as('labels'),
    ]);
}
