/**
 * Why the engine sends nothing: stable words, used as the transport's `fleetboot_dhcp_dropped_total{reason}` label
 * and in events. The transport counts codec-level drops (`short`, `hlen`, `opt-len`, … in protocol/dhcp4/reasons.ts)
 * before the engine sees a packet.
 *
 * Bad input (nothing is written anywhere, catalogue I4):
 * - `op` a BOOTREPLY sent to the server port (D05; counted as a foreign server when it is an OFFER or ACK);
 * - `msgtype` a server-side message type (OFFER, ACK, NAK) sent to us (D10);
 * - `no-identity` no usable hardware address or type-1 client identifier (D06); `bad-mac` a group or zero MAC (D30);
 * - `no-subnet` no configured subnet for giaddr or the receiving interface (D25), or an INFORM from elsewhere;
 * - `port` a message on port 4011 in full mode (only proxyDHCP answers there), or anything but a REQUEST on 4011;
 * - `malformed-request` a DHCPREQUEST with neither server identifier, requested address nor ciaddr;
 * - `no-address` a DECLINE without option 50 (D26) or a RELEASE without ciaddr;
 * - `duplicate` the same message (xid and type) from the same client while the first is still being handled (F08);
 * - `client-busy` the client already has MAX_QUEUED_PER_CLIENT exchanges queued or running (serialize.ts; P6).
 *
 * Decisions (recorded as events on the client's timeline):
 * - `not-for-us` the client chose another server's offer (D23), or sent its DECLINE/RELEASE to another server;
 * - `no-free-address` the pool is exhausted; `decline-limit` the client has too many addresses in probation (S11);
 * - `not-holder` a DECLINE or RELEASE for an address the client does not hold (D26, D27);
 * - `declined`, `released` a DECLINE or RELEASE was applied: these messages have no reply (RFC 2131 §4.3.3, §4.3.4).
 *
 * - `not-netboot` (proxy mode) not a PXE, HTTP boot or iPXE client, or one with malformed PXE options (D21): the
 *   site's DHCP server answers it, the proxy never does; recorded only for clients that claim to netboot;
 * - `no-boot-file` (proxy mode) no boot file for this client's firmware: a proxy has nothing else to say.
 *
 * - `reply-too-big` what must be echoed (options 61, 82) does not fit the size the client accepts (D17): nothing
 *   was held or committed for it.
 *
 * Failures: `store-unavailable` the lease store failed (catalogue P3: no answer from stale state, no ACK without a
 * commit); `store-busy` another writer held the database too long (catalogue F07; nothing written, the client's
 * retransmission will be served); `internal-error` a bug, logged with its stack.
 */
export type DropReason =
  | 'op'
  | 'msgtype'
  | 'no-identity'
  | 'bad-mac'
  | 'no-subnet'
  | 'port'
  | 'malformed-request'
  | 'no-address'
  | 'duplicate'
  | 'client-busy'
  | 'not-for-us'
  | 'no-free-address'
  | 'decline-limit'
  | 'not-holder'
  | 'declined'
  | 'released'
  | 'not-netboot'
  | 'no-boot-file'
  | 'reply-too-big'
  | 'store-unavailable'
  | 'store-busy'
  | 'internal-error';

export interface DropOutcome {
  readonly kind: 'drop';
  readonly reason: DropReason;
}

export function drop(reason: DropReason): DropOutcome {
  return { kind: 'drop', reason };
}

/**
 * Reasons that mean the datagram was not a usable client message: nothing about it is written (catalogue I4), it
 * is only counted (by the transport) and logged at debug.
 */
const BAD_INPUT: ReadonlySet<DropReason> = new Set<DropReason>([
  'op',
  'msgtype',
  'no-identity',
  'bad-mac',
  'no-subnet',
  'port',
  'malformed-request',
  'no-address',
  'duplicate',
  'client-busy',
]);

export function isBadInput(reason: DropReason): boolean {
  return BAD_INPUT.has(reason);
}
