import { DecodeError } from '../errors.js';

/**
 * Why a TFTP datagram was refused. Stable words: the transport counts drops by them (`drop_reason{proto="tftp"}`)
 * and answers a refused request with ERROR 4; the tests of reliability-catalogue §6.2 name them.
 *
 * - `short`: too short for its opcode's fixed part: empty, one byte, a DATA/ACK/ERROR under 4 bytes (T01, T17).
 * - `opcode`: not 1–6 (T02).
 * - `unterminated`: a filename, mode, option name or value without its NUL before the datagram ends (T03).
 * - `empty-filename`: a request whose filename is empty (T04, dnsmasq "empty filename in request").
 * - `long-filename`: a filename over `MAX_FILENAME_BYTES` (T06).
 * - `mode`: the mode is missing, unknown, or `mail` (T05; RFC 1123 §4.2.2.1: "mail" mode SHOULD NOT be supported).
 * - `too-many-options`: more than `MAX_OPTIONS` option pairs.
 * - `long-data`: a DATA payload over 65464 octets, the largest block RFC 2348 allows.
 *
 * Not reasons, on purpose (RFC 2347 and T09–T13 say ignore, not refuse): an unknown, duplicated, over-long or
 * empty-named option, a value that is out of range or not a number, and a name without a value at the end of the
 * request. The decoder leaves the odd ones out of `options`; `negotiateOptions` reports the rest as ignored.
 */
export type TftpDecodeReason =
  | 'short'
  | 'opcode'
  | 'unterminated'
  | 'empty-filename'
  | 'long-filename'
  | 'mode'
  | 'too-many-options'
  | 'long-data';

export function tftpDecodeError(offset: number, reason: TftpDecodeReason, detail = ''): DecodeError {
  return new DecodeError(offset, reason, detail);
}
