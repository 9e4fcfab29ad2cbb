import { describe, expect, it } from 'vitest';
import { classifyRequest } from '../../src/net/tftp-request.js';
import { bytes, request } from '../protocol/tftp/support.js';

// Reliability-catalogue §6.2, the cases decided on the listening port from the datagram alone.
describe('classifyRequest (port 69)', () => {
  const drops: [string, Uint8Array, string][] = [
    ['T01 empty', bytes(), 'parse:short'],
    ['T01 one byte', bytes(1), 'parse:short'],
    ['T02 opcode 0', bytes(0, 0, 'x', 0), 'parse:opcode'],
    ['T02 opcode 7', bytes(0, 7, 'x', 0), 'parse:opcode'],
    ['T02 opcode 0xffff', bytes(0xff, 0xff, 'x', 0), 'parse:opcode'],
    ['T18 DATA', bytes(0, 3, 0, 1, 'abc'), 'wrong-direction'],
    ['T18 ACK', bytes(0, 4, 0, 1), 'wrong-direction'],
    ['T18 OACK', request(6, 'tsize', '1'), 'wrong-direction'],
    ['T18 ERROR', bytes(0, 5, 0, 1, 'x', 0), 'wrong-direction'],
    // Smaller than the smallest ERROR: answering would amplify (T21/S12).
    ['T03 RRQ opcode alone', bytes(0, 1), 'parse:unterminated'],
    ['T03 RRQ of 4 bytes', bytes(0, 1, 'ab'), 'parse:unterminated'],
  ];
  it.each(drops)('%s → DROP', (_name, datagram, reason) => {
    expect(classifyRequest(datagram)).toEqual({ kind: 'drop', reason });
  });

  const refusals: [string, Uint8Array, string, number][] = [
    ['T03 filename without NUL', bytes(0, 1, 'pxelinux.0'), 'parse:unterminated', 4],
    ['T03 mode without NUL', bytes(0, 1, 'pxelinux.0', 0, 'octet'), 'parse:unterminated', 4],
    ['T04 empty filename', request(1, '', 'octet'), 'parse:empty-filename', 4],
    ['T05 mode missing', bytes(0, 1, 'pxelinux.0', 0), 'parse:mode', 4],
    ['T05 mode blah', request(1, 'pxelinux.0', 'blah'), 'parse:mode', 4],
    ['T05 mode mail', request(1, 'pxelinux.0', 'mail'), 'parse:mode', 4],
    ['T06 filename of 512 octets', request(1, 'a'.repeat(512), 'octet'), 'parse:long-filename', 4],
    ['T06 filename of 1400 octets', request(1, 'a'.repeat(1400), 'octet'), 'parse:long-filename', 4],
    ['T08 WRQ', request(2, 'pxelinux.0', 'octet'), 'write-request', 2],
  ];
  it.each(refusals)('%s → ERR (%s, code %i)', (_name, datagram, reason, code) => {
    expect(classifyRequest(datagram)).toMatchObject({ kind: 'refuse', reason, code });
  });

  it('T05: OCTET and NetAscii are accepted in any case', () => {
    expect(classifyRequest(request(1, 'f', 'OCTET'))).toMatchObject({
      kind: 'read',
      request: { mode: 'octet' },
    });
    expect(classifyRequest(request(1, 'f', 'NetAscii'))).toMatchObject({
      kind: 'read',
      request: { mode: 'netascii' },
    });
  });

  it('T06: a filename of 255 octets is a request (the file source answers it)', () => {
    expect(classifyRequest(request(1, 'a'.repeat(255), 'octet'))).toMatchObject({ kind: 'read' });
  });

  it('passes a read request with its options through', () => {
    expect(classifyRequest(request(1, 'pxelinux.0', 'octet', 'tsize', '0', 'blksize', '1408'))).toEqual({
      kind: 'read',
      request: {
        kind: 'rrq',
        filename: 'pxelinux.0',
        mode: 'octet',
        options: [
          { name: 'tsize', value: '0' },
          { name: 'blksize', value: '1408' },
        ],
      },
    });
  });
});
