import { type Brand, InvalidValueError } from '../values/brand.js';
import { isOneOf } from '../values/guards.js';
import type { Ipv4, Ipv4Subnet } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import type { EpochMs } from './time.js';

/**
 * offered: reserved for a client between OFFER and REQUEST; bound: ACKed; declined: the client reported the
 * address in use (DHCPDECLINE), quarantined until `expiresAt`; released: DHCPRELEASE; expired: reclaimed.
 */
export const LEASE_STATES = ['offered', 'bound', 'declined', 'released', 'expired'] as const;
export type LeaseState = (typeof LEASE_STATES)[number];

/** The states in which a lease belongs to its client: the address is not free and the client holds no other one. */
export const ACTIVE_LEASE_STATES = ['offered', 'bound'] as const;
export type ActiveLeaseState = (typeof ACTIVE_LEASE_STATES)[number];

export function isActiveLeaseState(state: LeaseState): state is ActiveLeaseState {
  return isOneOf(ACTIVE_LEASE_STATES, state);
}

/**
 * The identity a lease is bound to, as lower-case hex: the bytes of option 61 when the client sends one, else
 * `01` + chaddr (the form option 61 takes for an Ethernet client). Which of the two the DHCP server keys on is
 * its decision (protocol-digest §1.6); the store treats the value as opaque.
 */
export type ClientId = Brand<string, 'ClientId'>;

// RFC 2132 §9.14: option 61 has a minimum length of 2 (a type byte and at least one byte of identifier).
const CLIENT_ID = /^(?:[0-9a-f]{2}){2,255}$/;

export function parseClientId(input: string): ClientId {
  const text = input.trim().toLowerCase();
  if (!CLIENT_ID.test(text)) {
    throw new InvalidValueError('client identifier', input, 'hex of 2 to 255 bytes, such as 01525400123456');
  }
  return text as ClientId;
}

/** The client id of DHCP option 61's value bytes (RFC 2132 §9.14). */
export function clientIdFromOption(bytes: Uint8Array): ClientId {
  return parseClientId(Buffer.from(bytes).toString('hex'));
}

// RFC 2132 §9.14: type 1 is an Ethernet hardware address (RFC 1700 hardware types).
export function clientIdFromMac(mac: Mac): ClientId {
  return `01${mac.replace(/:/g, '')}` as ClientId;
}

/** A dynamic DHCP lease (design.md §3). Absent values are `null`, so a lease reads back exactly as written. */
export interface Lease {
  readonly address: Ipv4;
  readonly subnet: Ipv4Subnet;
  readonly clientId: ClientId;
  /** chaddr, kept even when option 61 is the identity: it is how the lease is tied to an inventory machine. */
  readonly mac: Mac;
  readonly state: LeaseState;
  /** End of the lease; for a declined address, the end of its probation. */
  readonly expiresAt: EpochMs;
  /** Option 54 of the server that granted it, so several servers sharing one store can tell leases apart. */
  readonly serverId: Ipv4;
  /** Option 12 as the client sent it, already sanitised by the DHCP layer. */
  readonly hostname: string | null;
  /** Option 82 (RFC 3046) as lower-case hex, echoed back to the relay in replies. */
  readonly relayAgentInfo: string | null;
}
