// Values the store tests build records from.
import { clientIdFromMac, type Lease } from '../../src/inventory/lease.js';
import { type Ipv4, type Ipv4Subnet, parseIpv4, parseIpv4Subnet } from '../../src/values/ipv4.js';
import { type Mac, parseMac } from '../../src/values/mac.js';
import { parseUuid, type Uuid } from '../../src/values/uuid.js';

/** The i-th test MAC (QEMU's OUI), canonical. */
export function mac(i: number): Mac {
  const b = [(i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff].map((x) => x.toString(16).padStart(2, '0'));
  return parseMac(`52:54:00:${b.join(':')}`);
}

export function uuid(i: number): Uuid {
  return parseUuid(`4c4c4544-0000-1000-8000-${i.toString(16).padStart(12, '0')}`);
}

export const SUBNET: Ipv4Subnet = parseIpv4Subnet('192.0.2.0/24');
export const OTHER_SUBNET: Ipv4Subnet = parseIpv4Subnet('198.51.100.0/24');
export const SERVER: Ipv4 = parseIpv4('192.0.2.1');

export function ip(text: string): Ipv4 {
  return parseIpv4(text);
}

/** A bound lease of client `i` (identity 01+MAC) on `address`, expiring at `expiresAt`. */
export function lease(i: number, address: string, expiresAt: number, overrides: Partial<Lease> = {}): Lease {
  return {
    address: parseIpv4(address),
    subnet: SUBNET,
    clientId: clientIdFromMac(mac(i)),
    mac: mac(i),
    state: 'bound',
    expiresAt,
    serverId: SERVER,
    hostname: null,
    relayAgentInfo: null,
    ...overrides,
  };
}

/** Settles every promise and sorts the outcomes, for races where only the counts are certain. */
export async function settle<T>(promises: readonly Promise<T>[]): Promise<{ ok: T[]; failed: unknown[] }> {
  const results = await Promise.allSettled(promises);
  return {
    ok: results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    failed: results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : [])),
  };
}
