import { DecodeError } from '../protocol/errors.js';
import {
  decodeTftpPacket,
  MIN_ERROR_BYTES,
  packetKindOf,
  type ReadRequest,
  TftpErrorCode,
} from '../protocol/tftp/index.js';

/**
 * What the server does with one datagram that arrived on the listening port (69). Pure, table-tested against
 * reliability-catalogue §6.2. `reason` is the label of `fleetboot_tftp_dropped_total{reason}`: every datagram that
 * does not start a transfer is counted under exactly one (catalogue I5).
 */
export type RequestVerdict =
  | { readonly kind: 'read'; readonly request: ReadRequest }
  /** Nothing is sent. */
  | { readonly kind: 'drop'; readonly reason: string }
  /** An ERROR is sent back (no larger than the datagram, `encodeBoundedError`), and nothing else happens. */
  | { readonly kind: 'refuse'; readonly reason: string; readonly code: number; readonly message: string };

export function classifyRequest(datagram: Uint8Array): RequestVerdict {
  const kind = packetKindOf(datagram);
  switch (kind) {
    case undefined:
      // T01 (empty, one byte) and T02 (opcode 0, 7, 0xffff): dropped, never answered, so garbage with a spoofed
      // source reflects nothing.
      return { kind: 'drop', reason: datagram.length < 2 ? 'parse:short' : 'parse:opcode' };
    case 'data':
    case 'ack':
    case 'oack':
    case 'error':
      // T18: these belong on a transfer's port; on 69 they are the wrong direction. No answer (an ERROR answered
      // with an ERROR can loop between two servers).
      return { kind: 'drop', reason: 'wrong-direction' };
    case 'rrq':
    case 'wrq':
      return classifyDecodable(datagram);
  }
}

function classifyDecodable(datagram: Uint8Array): RequestVerdict {
  let packet;
  try {
    packet = decodeTftpPacket(datagram);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const reason = `parse:${error.reason}`;
    // T03–T06: a malformed request gets ERROR 4, as tftpd-hpa and dnsmasq answer it, unless the request is
    // smaller than the smallest ERROR: answering it would amplify (catalogue T21/S12).
    if (datagram.length < MIN_ERROR_BYTES) return { kind: 'drop', reason };
    return {
      kind: 'refuse',
      reason,
      code: TftpErrorCode.illegalOperation,
      message: 'Illegal TFTP operation',
    };
  }
  switch (packet.kind) {
    case 'rrq':
      return { kind: 'read', request: packet };
    case 'wrq':
      // T08 and reliability-catalogue P7: the roots are read-only and nothing is ever written (dnsmasq refuses
      // WRQ the same way). RFC 1350 §7 code 2, "Access violation".
      return {
        kind: 'refuse',
        reason: 'write-request',
        code: TftpErrorCode.accessViolation,
        message: 'Write not supported',
      };
    case 'data':
    case 'ack':
    case 'oack':
    case 'error':
      return { kind: 'drop', reason: 'wrong-direction' };
  }
}
