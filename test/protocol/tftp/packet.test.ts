import { describe, expect, it } from 'vitest';
import { EncodeError } from '../../../src/protocol/errors.js';
import { MAX_ERROR_MESSAGE_BYTES, MAX_FILENAME_BYTES } from '../../../src/protocol/tftp/limits.js';
import type { TftpPacket } from '../../../src/protocol/tftp/packet.js';
import {
  dataHeader,
  decodeTftpPacket,
  encodeTftpPacket,
  packetKindOf,
} from '../../../src/protocol/tftp/packet.js';
import { bytes, decodeErrorOf, request } from './support.js';

const RRQ = 1;
const WRQ = 2;

describe('decodeTftpPacket: requests as real clients send them (protocol-digest §4.4, built from its text)', () => {
  it.each([
    [
      'PXELINUX 6',
      ['pxelinux.cfg/01-52-54-00-12-34-56', 'octet', 'tsize', '0', 'blksize', '1408'],
      'pxelinux.cfg/01-52-54-00-12-34-56',
    ],
    ['iPXE', ['pxelinux.0', 'octet', 'blksize', '1432', 'tsize', '0'], 'pxelinux.0'],
    ['GRUB 2.06', ['/grub/grub.cfg', 'octet', 'blksize', '1024', 'tsize', '0'], '/grub/grub.cfg'],
    [
      'EDK2 tsize probe',
      ['bootx64.efi', 'octet', 'tsize', '0', 'blksize', '1468', 'windowsize', '4'],
      'bootx64.efi',
    ],
  ])('%s', (_client, fields, filename) => {
    const packet = decodeTftpPacket(request(RRQ, ...fields));
    const options = [];
    for (let i = 2; i < fields.length; i += 2) options.push({ name: fields[i], value: fields[i + 1] });
    expect(packet).toEqual({ kind: 'rrq', filename, mode: 'octet', options });
  });

  it('decodes a WRQ the same way (the engine refuses it, catalogue T08)', () => {
    expect(decodeTftpPacket(request(WRQ, 'upload.bin', 'octet'))).toEqual({
      kind: 'wrq',
      filename: 'upload.bin',
      mode: 'octet',
      options: [],
    });
  });
});

describe('decodeTftpPacket: bad requests (reliability-catalogue §6.2)', () => {
  it.each([
    ['T01 empty', bytes(), 'short', 0],
    ['T01 one byte', bytes(0), 'short', 0],
    ['T02 opcode 0', request(0, 'x', 'octet'), 'opcode', 0],
    ['T02 opcode 7', request(7, 'x', 'octet'), 'opcode', 0],
    ['T02 opcode 0xffff', bytes(0xff, 0xff, 'x', 0, 'octet', 0), 'opcode', 0],
    ['T03 filename without NUL', bytes(0, RRQ, 'pxelinux.0'), 'unterminated', 12],
    ['T03 filename without NUL, nothing after the opcode', bytes(0, RRQ), 'unterminated', 2],
    ['T04 empty filename', request(RRQ, '', 'octet'), 'empty-filename', 2],
    ['T05 mode missing', bytes(0, RRQ, 'x', 0), 'mode', 4],
    ['T05 mode blah', request(RRQ, 'x', 'blah'), 'mode', 4],
    ['T05 mode mail (RFC 1123 §4.2.2.1)', request(RRQ, 'x', 'mail'), 'mode', 4],
    ['T05 mode longer than any mode', request(RRQ, 'x', 'octetoctetoctetoctet'), 'mode', 4],
    ['T05 mode without NUL', bytes(0, RRQ, 'x', 0, 'octet'), 'unterminated', 9],
    ['option name without NUL', bytes(0, RRQ, 'x', 0, 'octet', 0, 'blksize'), 'unterminated', 17],
    ['option value without NUL', bytes(0, RRQ, 'x', 0, 'octet', 0, 'blksize', 0, '1468'), 'unterminated', 22],
  ])('%s → %s at offset %i', (_case, datagram, reason, offset) => {
    expect(decodeErrorOf(() => decodeTftpPacket(datagram))).toMatchObject({ reason, offset });
  });

  it.each([
    ['OCTET', 'octet'],
    ['Octet', 'octet'],
    ['NetAscii', 'netascii'],
    ['NETASCII', 'netascii'],
  ])('T05 mode %s is accepted as %s (RFC 1350 §5: any case)', (mode, expected) => {
    expect(decodeTftpPacket(request(RRQ, 'x', mode))).toMatchObject({ mode: expected });
  });

  it(`T06 accepts a filename of ${MAX_FILENAME_BYTES} octets and refuses longer ones`, () => {
    const longest = 'a'.repeat(MAX_FILENAME_BYTES);
    expect(decodeTftpPacket(request(RRQ, longest, 'octet'))).toMatchObject({ filename: longest });
    for (const length of [MAX_FILENAME_BYTES + 1, 512, 1400]) {
      const error = decodeErrorOf(() => decodeTftpPacket(request(RRQ, 'a'.repeat(length), 'octet')));
      expect(error).toMatchObject({ reason: 'long-filename', offset: 2 });
    }
  });

  it('T06 refuses a filename that fills the largest UDP datagram, with or without its NUL', () => {
    const max = 65507;
    const terminated = new Uint8Array(max).fill(0x61);
    terminated.set([0, RRQ], 0);
    terminated[max - 1] = 0;
    expect(decodeErrorOf(() => decodeTftpPacket(terminated)).reason).toBe('long-filename');
    const unterminated = terminated.slice();
    unterminated[max - 1] = 0x61;
    expect(decodeErrorOf(() => decodeTftpPacket(unterminated)).reason).toBe('unterminated');
  });

  it('keeps the file name byte for byte, one character per octet (no UTF-8 decoding, T07)', () => {
    const packet = decodeTftpPacket(bytes(0, RRQ, '..', 0xc0, 0xaf, 'x', 0xff, 0, 'octet', 0));
    expect(packet).toMatchObject({ filename: '..\u00c0\u00afx\u00ff' });
  });
});

describe('decodeTftpPacket: options (RFC 2347; catalogue T13)', () => {
  it('keeps options in the order and spelling sent, duplicates included (negotiation takes the first)', () => {
    const packet = decodeTftpPacket(
      request(RRQ, 'x', 'octet', 'BlkSize', '1024', 'msftwindow', '31416', 'blksize', '512'),
    );
    expect(packet).toMatchObject({
      options: [
        { name: 'BlkSize', value: '1024' },
        { name: 'msftwindow', value: '31416' },
        { name: 'blksize', value: '512' },
      ],
    });
  });

  it('ignores a name without a value at the end of the request', () => {
    const packet = decodeTftpPacket(request(RRQ, 'x', 'octet', 'tsize', '0', 'blksize'));
    expect(packet).toMatchObject({ options: [{ name: 'tsize', value: '0' }] });
  });

  it('leaves out an option with an empty name, a 900-byte name or a 65-byte value', () => {
    const packet = decodeTftpPacket(
      request(RRQ, 'x', 'octet', '', '1', 'n'.repeat(900), '1', 'foo', 'v'.repeat(65), 'tsize', '0'),
    );
    expect(packet).toMatchObject({ options: [{ name: 'tsize', value: '0' }] });
  });

  it('keeps an empty value (negotiation then ignores it as unparsable)', () => {
    const packet = decodeTftpPacket(request(RRQ, 'x', 'octet', 'blksize', ''));
    expect(packet).toMatchObject({ options: [{ name: 'blksize', value: '' }] });
  });

  it('accepts 16 option pairs and refuses the 17th, counting the ones it leaves out', () => {
    const pairs = (n: number): string[] => Array.from({ length: n }, (_, i) => [`o${i}`, '1']).flat();
    expect(decodeTftpPacket(request(RRQ, 'x', 'octet', ...pairs(16)))).toMatchObject({
      options: expect.arrayContaining([{ name: 'o15', value: '1' }]) as unknown,
    });
    const seventeen = request(RRQ, 'x', 'octet', ...pairs(15), 'n'.repeat(100), '1', 'last', '1');
    expect(decodeErrorOf(() => decodeTftpPacket(seventeen))).toMatchObject({ reason: 'too-many-options' });
  });

  it('decodes an OACK, and an empty one as EDK2 does (Mtftp4ExtractOptions)', () => {
    expect(decodeTftpPacket(request(6, 'blksize', '1468', 'tsize', '1048576'))).toEqual({
      kind: 'oack',
      options: [
        { name: 'blksize', value: '1468' },
        { name: 'tsize', value: '1048576' },
      ],
    });
    expect(decodeTftpPacket(bytes(0, 6))).toEqual({ kind: 'oack', options: [] });
  });
});

describe('decodeTftpPacket: DATA, ACK, ERROR', () => {
  it('decodes DATA of 0 to 65464 octets and refuses more', () => {
    expect(decodeTftpPacket(bytes(0, 3, 0xff, 0xff))).toEqual({
      kind: 'data',
      block: 65535,
      data: new Uint8Array(0),
    });
    const largest = new Uint8Array(4 + 65464);
    largest.set([0, 3, 0, 1]);
    expect(decodeTftpPacket(largest)).toMatchObject({ kind: 'data', block: 1 });
    const tooLarge = new Uint8Array(4 + 65465);
    tooLarge.set([0, 3, 0, 1]);
    expect(decodeErrorOf(() => decodeTftpPacket(tooLarge))).toMatchObject({ reason: 'long-data', offset: 4 });
    expect(decodeErrorOf(() => decodeTftpPacket(bytes(0, 3, 0)))).toMatchObject({
      reason: 'short',
      offset: 2,
    });
  });

  it('copies DATA, so a reused receive buffer does not change a decoded block', () => {
    const datagram = bytes(0, 3, 0, 1, 7, 8);
    const packet = decodeTftpPacket(datagram);
    datagram[4] = 99;
    expect(packet).toMatchObject({ data: Uint8Array.of(7, 8) });
  });

  it('decodes an ACK and ignores octets after its block number (tftpd-hpa, dnsmasq)', () => {
    expect(decodeTftpPacket(bytes(0, 4, 0, 0))).toEqual({ kind: 'ack', block: 0 });
    expect(decodeTftpPacket(bytes(0, 4, 1, 2, 9, 9, 9))).toEqual({ kind: 'ack', block: 0x0102 });
    expect(decodeErrorOf(() => decodeTftpPacket(bytes(0, 4, 1)))).toMatchObject({
      reason: 'short',
      offset: 2,
    });
  });

  it('decodes an ERROR and ignores what follows its NUL', () => {
    expect(decodeTftpPacket(bytes(0, 5, 0, 8, 'User aborted the transfer', 0, 'junk'))).toEqual({
      kind: 'error',
      code: 8,
      message: 'User aborted the transfer',
    });
  });

  it('T17: a 3-byte ERROR does not decode, but packetKindOf still says it is an ERROR', () => {
    const threeBytes = bytes(0, 5, 0);
    expect(decodeErrorOf(() => decodeTftpPacket(threeBytes))).toMatchObject({ reason: 'short', offset: 2 });
    expect(packetKindOf(threeBytes)).toBe('error');
  });

  it(`T17: an ERROR without NUL ends at the datagram; a 1 KB message is cut to ${MAX_ERROR_MESSAGE_BYTES}`, () => {
    expect(decodeTftpPacket(bytes(0, 5, 0, 0, 'no terminator'))).toMatchObject({ message: 'no terminator' });
    const long = decodeTftpPacket(bytes(0, 5, 0, 0, 'm'.repeat(1024), 0));
    expect(long).toMatchObject({ message: 'm'.repeat(MAX_ERROR_MESSAGE_BYTES) });
    expect(decodeTftpPacket(bytes(0, 5, 0, 0, 0xff, 0xfe, 0))).toMatchObject({ message: '\u00ff\u00fe' });
  });
});

describe('packetKindOf', () => {
  it.each([
    [bytes(0, 1), 'rrq'],
    [bytes(0, 2), 'wrq'],
    [bytes(0, 3, 0, 1), 'data'],
    [bytes(0, 4), 'ack'],
    [bytes(0, 5), 'error'],
    [bytes(0, 6), 'oack'],
    [bytes(0, 0), undefined],
    [bytes(0, 7), undefined],
    [bytes(1, 1), undefined],
    [bytes(0), undefined],
    [bytes(), undefined],
  ])('%o → %s (T18: DATA, ACK or OACK to port 69 can be dropped by kind)', (datagram, kind) => {
    expect(packetKindOf(datagram)).toBe(kind);
  });
});

describe('encodeTftpPacket', () => {
  it('writes each kind byte for byte', () => {
    expect(
      encodeTftpPacket({
        kind: 'rrq',
        filename: 'a',
        mode: 'octet',
        options: [{ name: 'tsize', value: '0' }],
      }),
    ).toEqual(request(RRQ, 'a', 'octet', 'tsize', '0'));
    expect(encodeTftpPacket({ kind: 'data', block: 0x0102, data: Uint8Array.of(9) })).toEqual(
      bytes(0, 3, 1, 2, 9),
    );
    expect(encodeTftpPacket({ kind: 'ack', block: 65535 })).toEqual(bytes(0, 4, 0xff, 0xff));
    expect(encodeTftpPacket({ kind: 'error', code: 1, message: 'File not found' })).toEqual(
      bytes(0, 5, 0, 1, 'File not found', 0),
    );
    expect(encodeTftpPacket({ kind: 'oack', options: [{ name: 'blksize', value: '1468' }] })).toEqual(
      request(6, 'blksize', '1468'),
    );
  });

  it.each<[string, TftpPacket, string]>([
    ['an empty filename', { kind: 'rrq', filename: '', mode: 'octet', options: [] }, 'filename'],
    ['a long filename', { kind: 'rrq', filename: 'a'.repeat(256), mode: 'octet', options: [] }, 'filename'],
    ['a NUL in the filename', { kind: 'rrq', filename: 'a\0b', mode: 'octet', options: [] }, 'text'],
    ['a character above U+00FF', { kind: 'rrq', filename: 'a\u0100', mode: 'octet', options: [] }, 'text'],
    [
      'an empty option name',
      { kind: 'rrq', filename: 'a', mode: 'octet', options: [{ name: '', value: '1' }] },
      'option',
    ],
    [
      'a 65-octet option value',
      { kind: 'rrq', filename: 'a', mode: 'octet', options: [{ name: 'x', value: 'v'.repeat(65) }] },
      'option',
    ],
    [
      '17 options',
      {
        kind: 'rrq',
        filename: 'a',
        mode: 'octet',
        options: Array.from({ length: 17 }, () => ({ name: 'x', value: '1' })),
      },
      'option',
    ],
    ['an empty OACK', { kind: 'oack', options: [] }, 'empty-oack'],
    ['DATA over 65464 octets', { kind: 'data', block: 1, data: new Uint8Array(65465) }, 'range'],
    ['block 65536', { kind: 'ack', block: 65536 }, 'range'],
    ['a negative block', { kind: 'data', block: -1, data: new Uint8Array(0) }, 'range'],
    ['an error code above u16', { kind: 'error', code: 70000, message: '' }, 'range'],
    ['a 256-octet error message', { kind: 'error', code: 0, message: 'm'.repeat(256) }, 'error-message'],
  ])('refuses %s with EncodeError(%s)', (_case, packet, reason) => {
    expect(() => encodeTftpPacket(packet)).toThrow(expect.objectContaining({ name: 'EncodeError', reason }));
    expect(() => encodeTftpPacket(packet)).toThrow(EncodeError);
  });

  it('dataHeader is the first 4 bytes of the same DATA packet', () => {
    expect(dataHeader(65535)).toEqual(bytes(0, 3, 0xff, 0xff));
    const packet = encodeTftpPacket({ kind: 'data', block: 513, data: Uint8Array.of(1, 2) });
    expect(dataHeader(513)).toEqual(packet.subarray(0, 4));
    expect(() => dataHeader(65536)).toThrow(EncodeError);
  });
});
