import { DecodeError } from '../errors.js';

/**
 * Why a DHCPv4 datagram (or one of its options) was refused. Stable words: the transport counts drops by them
 * (`fleetboot_dhcp_dropped_total{reason}`), and tests of reliability-catalogue §6.1 name them.
 *
 * Packet-level (the whole datagram is refused):
 * - `short` fewer than 236 bytes (D01, D02); `op` neither BOOTREQUEST nor BOOTREPLY; `htype` hardware type 0 with
 *   a hardware address; `hlen` above 16 (D07); `bootp` no room for a cookie or an all-zero cookie, i.e. plain
 *   BOOTP (D03); `cookie` a wrong magic cookie (D04); `truncated-option` an option running past its field (D12);
 *   `overload` a bad option 52 (D15); `no-msgtype` no option 53 (D09); `msgtype` option 53 not 1–8 (D10);
 *   `opt-len` a wrong length for a typed option (D11, D17); `fqdn` a malformed option 81 (D19); `relay-agent` a
 *   malformed option 82.
 *
 * Option-level (the option is left out of the typed view and listed in `rejectedOptions`; the packet is kept):
 * - `opt-len` on 93/94/97 (D21), `machine-id-type` (97 with a type other than 0), `empty` (a text option that is
 *   empty or only NULs), `hostname` / `domain-name` (not an RFC 1123 name; D16, D18), `overload` (an option 52
 *   inside an overloaded field, ignored: D14).
 *
 * Second-stage: `pxe` malformed PXE sub-options in option 43 (only decoded on request, see pxe.ts).
 */
export type Dhcp4DecodeReason =
  | 'short'
  | 'op'
  | 'htype'
  | 'hlen'
  | 'bootp'
  | 'cookie'
  | 'truncated-option'
  | 'overload'
  | 'no-msgtype'
  | 'msgtype'
  | 'opt-len'
  | 'empty'
  | 'hostname'
  | 'domain-name'
  | 'fqdn'
  | 'relay-agent'
  | 'machine-id-type'
  | 'pxe';

export function dhcpDecodeError(offset: number, reason: Dhcp4DecodeReason, detail = ''): DecodeError {
  return new DecodeError(offset, reason, detail);
}
