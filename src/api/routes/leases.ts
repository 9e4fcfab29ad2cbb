// DHCP leases of the configured subnets.
import type { DhcpConfig } from '../../config/types.js';
import type { LeaseState } from '../../inventory/lease.js';
import { formatSubnet } from '../../values/ipv4.js';
import type { Store } from '../../store/types.js';
import { ApiError } from '../errors.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { LeaseListSchema, LeaseQuerySchema } from '../schemas.js';

export function leaseRoutes(store: Store, dhcp: DhcpConfig): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/leases',
      operationId: 'listLeases',
      summary: 'Leases of every configured subnet, or of one, in address order.',
      tag: 'leases',
      access: 'viewer',
      query: LeaseQuerySchema,
      response: LeaseListSchema,
      handler: async ({ query }) => {
        const configured = dhcp.subnets.map((s) => s.subnet);
        const subnets =
          query.subnet === undefined
            ? configured
            : configured.filter((s) => formatSubnet(s) === query.subnet);
        if (subnets.length === 0 && query.subnet !== undefined) {
          const known = configured.map(formatSubnet).join(', ') || 'none';
          throw new ApiError(
            'FLEETBOOT_INVALID_REQUEST',
            `subnet ${query.subnet} is not configured (configured: ${known})`,
          );
        }
        const states: readonly LeaseState[] | undefined = query.state;
        const lists = await Promise.all(subnets.map((s) => store.leases.listBySubnet(s, states)));
        return {
          items: lists.flat().map((lease) => ({ ...lease, subnet: formatSubnet(lease.subnet) })),
        };
      },
    }),
  ];
}
