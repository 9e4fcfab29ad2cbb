// The fleet at a glance (issue 6 item 3, `fleetboot status`): machines per install state, counted in the store in
// one query, and what the package cache saved when it is on.
import { MACHINE_STATES } from '../../inventory/machine.js';
import type { Store } from '../../store/types.js';
import type { CacheSavings } from '../../values/cache-savings.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { StatusQuerySchema, StatusSchema } from '../schemas.js';
import { labelsOf } from './machines.js';

export function statusRoutes(store: Store, cacheSavings: (() => CacheSavings) | undefined): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/status',
      operationId: 'getStatus',
      summary:
        'Machines per install state (optionally only those with every `label` given), and the package ' +
        "cache's saving since the server started (null when the cache is off).",
      tag: 'machines',
      access: 'viewer',
      query: StatusQuerySchema,
      response: StatusSchema,
      handler: async ({ query }) => {
        const machines = await store.inventory.countByState(
          query.label === undefined ? undefined : { labels: labelsOf(query.label) },
        );
        const total = MACHINE_STATES.reduce((sum, state) => sum + machines[state], 0);
        return { machines, total, cache: cacheSavings?.() ?? null };
      },
    }),
  ];
}
