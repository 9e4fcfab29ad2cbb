import { MAX_ERROR_MESSAGE_BYTES } from './limits.js';
import type { ErrorPacket } from './packet.js';
import { encodeTftpPacket } from './packet.js';

// RFC 1350 Appendix "Error Codes" (0–7) and RFC 2347 (8: "terminate the transfer due to option negotiation").
export const TftpErrorCode = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionNegotiation: 8,
} as const;
export type TftpErrorCode = (typeof TftpErrorCode)[keyof typeof TftpErrorCode];

/** The smallest ERROR datagram: opcode, code, an empty message and its NUL. */
export const MIN_ERROR_BYTES = 5;

/**
 * An ERROR that is no larger than the datagram that caused it (reliability-catalogue T21/S12: a spoofed request
 * must not be reflected with amplification), truncating `message` to fit. An ERROR cannot be shorter than 5
 * bytes, so a trigger of 4 bytes or less (a wrong-TID ACK, T14) gets the 5-byte ERROR with an empty message: one
 * byte more than it sent, never a multiple. The message is ours (short, ASCII); a NUL or a character above U+00FF
 * in it is a bug and throws `EncodeError`.
 */
export function encodeBoundedError(code: number, message: string, triggerLength: number): Uint8Array {
  const room = Math.min(Math.max(0, Math.floor(triggerLength) - MIN_ERROR_BYTES), MAX_ERROR_MESSAGE_BYTES);
  const packet: ErrorPacket = { kind: 'error', code, message: message.slice(0, room) };
  return encodeTftpPacket(packet);
}
