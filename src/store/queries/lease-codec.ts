// Leases between domain values and rows. Validated both ways: a lease without a usable identity, or outside its
// subnet, is never written, and a row that is not a valid lease never reaches the DHCP server
// (reliability-catalogue P2, CVE-2019-6474).
import type { Insertable, Selectable } from 'kysely';
import { type Lease, LEASE_STATES, parseClientId } from '../../inventory/lease.js';
import { InvalidValueError } from '../../values/brand.js';
import { formatSubnet, ipv4ToInt, parseIpv4, parseIpv4Subnet, subnetContains } from '../../values/ipv4.js';
import { parseMac } from '../../values/mac.js';
import { InvalidInputError } from '../errors.js';
import type { LeasesTable } from '../schema.js';
import { canonical, decoded, oneOf } from './decode.js';
import { checkCanonical, checkEpochMs, checkOptionalText, checkSubnet, parsed } from './validate.js';

export type LeaseRow = Selectable<LeasesTable>;

// RFC 3046 §2.0: option 82 is at most 255 bytes, like every DHCP option.
const RELAY_AGENT_INFO = /^(?:[0-9a-f]{2}){1,255}$/;

export function encodeLease(lease: Lease, updatedAt: number): Insertable<LeasesTable> {
  const address = checkCanonical('address', lease.address, parseIpv4);
  const subnet = checkSubnet('subnet', lease.subnet);
  if (!subnetContains(subnet, address)) {
    throw new InvalidInputError('address', `${address} is not in ${formatSubnet(subnet)}`);
  }
  const relay = lease.relayAgentInfo;
  if (relay !== null && !RELAY_AGENT_INFO.test(relay)) {
    throw new InvalidInputError('relayAgentInfo', 'must be lower-case hex of 1 to 255 bytes');
  }
  return {
    address,
    address_num: ipv4ToInt(address),
    subnet: formatSubnet(subnet),
    client_id: checkCanonical('clientId', lease.clientId, parseClientId),
    mac: checkCanonical('mac', lease.mac, parseMac),
    state: parsed('state', () => oneOf('lease state', lease.state, LEASE_STATES)),
    expires_at: checkEpochMs('expiresAt', lease.expiresAt),
    server_id: checkCanonical('serverId', lease.serverId, parseIpv4),
    hostname: checkOptionalText('hostname', lease.hostname),
    relay_agent_info: relay,
    updated_at: updatedAt,
  };
}

export function decodeLease(row: LeaseRow): Lease {
  return decoded('leases', row.address, () => {
    const address = canonical('IPv4 address', row.address, parseIpv4);
    const subnet = parseIpv4Subnet(row.subnet);
    if (formatSubnet(subnet) !== row.subnet || !subnetContains(subnet, address)) {
      throw new InvalidValueError('subnet', row.subnet, 'the canonical subnet containing the address');
    }
    if (row.relay_agent_info !== null && !RELAY_AGENT_INFO.test(row.relay_agent_info)) {
      throw new InvalidValueError('relay agent information', row.relay_agent_info, 'lower-case hex');
    }
    return {
      address,
      subnet,
      clientId: canonical('client identifier', row.client_id, parseClientId),
      mac: canonical('MAC', row.mac, parseMac),
      state: oneOf('lease state', row.state, LEASE_STATES),
      expiresAt: row.expires_at,
      serverId: canonical('IPv4 address', row.server_id, parseIpv4),
      hostname: row.hostname,
      relayAgentInfo: row.relay_agent_info,
    };
  });
}
