import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeBoundedError, MIN_ERROR_BYTES, TftpErrorCode } from '../../../src/protocol/tftp/error.js';
import { MAX_ERROR_MESSAGE_BYTES } from '../../../src/protocol/tftp/limits.js';
import { decodeTftpPacket } from '../../../src/protocol/tftp/packet.js';
import { bytes } from './support.js';

describe('encodeBoundedError (catalogue T21/S12: an ERROR is no larger than what caused it)', () => {
  it('keeps the whole message when the trigger is large enough', () => {
    const reply = encodeBoundedError(TftpErrorCode.fileNotFound, 'File not found', 100);
    expect(reply).toEqual(bytes(0, 5, 0, 1, 'File not found', 0));
  });

  it('cuts the message to the size of the trigger', () => {
    const reply = encodeBoundedError(TftpErrorCode.accessViolation, 'Access violation', 12);
    expect(reply).toEqual(bytes(0, 5, 0, 2, 'Access ', 0));
    expect(reply.length).toBe(12);
  });

  it('sends the 5-byte ERROR with an empty message to a trigger of 4 bytes or less (T14, wrong-TID ACK)', () => {
    for (const trigger of [0, 1, 4, 5]) {
      expect(encodeBoundedError(TftpErrorCode.unknownTransferId, 'Unknown transfer ID', trigger)).toEqual(
        bytes(0, 5, 0, 5, 0),
      );
    }
  });

  it(`never writes more than ${MAX_ERROR_MESSAGE_BYTES} octets of message`, () => {
    const reply = encodeBoundedError(0, 'm'.repeat(1000), 65507);
    expect(reply.length).toBe(MIN_ERROR_BYTES + MAX_ERROR_MESSAGE_BYTES);
  });

  it('property: length ≤ max(trigger, 5), and the reply decodes to a prefix of the message', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...Object.values(TftpErrorCode)),
        fc.string({ unit: 'grapheme-ascii', maxLength: 300 }).map((s) => s.replaceAll('\0', '')),
        fc.nat({ max: 2000 }),
        (code, message, trigger) => {
          const reply = encodeBoundedError(code, message, trigger);
          expect(reply.length).toBeLessThanOrEqual(Math.max(trigger, MIN_ERROR_BYTES));
          const decoded = decodeTftpPacket(reply);
          expect(decoded.kind).toBe('error');
          if (decoded.kind !== 'error') return;
          expect(decoded.code).toBe(code);
          expect(message.startsWith(decoded.message)).toBe(true);
        },
      ),
    );
  });
});
