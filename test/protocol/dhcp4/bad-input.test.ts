// reliability-catalogue §6.1 at codec level: each case names its id. The server-level half (drop counters, the
// store unchanged, the next packet served) is tested against the running server.
import { describe, expect, it } from 'vitest';
import { clientMac, decodeDhcpMessage, replySizeLimit } from '../../../src/protocol/dhcp4/index.js';
import { WORST_OPTION_LAYOUTS } from './raw-packet.js';
import { DISCOVER_53, expectDecodeError, rawPacket, repeat } from './support.js';

const END = 255;

describe('header (D01–D08)', () => {
  it('D01: an empty payload is short', () => {
    expectDecodeError(new Uint8Array(0), 'short', 0);
  });

  it.each([1, 100, 235])('D02: %d bytes are short', (size) => {
    expectDecodeError(rawPacket().subarray(0, size), 'short', size);
  });

  it('D03: exactly 236 bytes (no cookie) is plain BOOTP', () => {
    expectDecodeError(rawPacket({ cookie: null }), 'bootp', 236);
  });

  it('D03: 237–239 bytes have no room for a cookie: plain BOOTP', () => {
    expectDecodeError(rawPacket({ cookie: [99, 130, 83] }), 'bootp', 236);
  });

  it('D03: a 300-byte BOOTP request with a zero vendor area is plain BOOTP', () => {
    expectDecodeError(rawPacket({ cookie: [0, 0, 0, 0], options: repeat(60, 0) }), 'bootp', 236);
  });

  it('D04: a wrong cookie (63 82 53 64)', () => {
    expectDecodeError(rawPacket({ cookie: [0x63, 0x82, 0x53, 0x64] }), 'cookie', 236);
  });

  it('D05: op 2 decodes (the server drops BOOTREPLY on :67); op 0 and 3 are not BOOTP', () => {
    expect(decodeDhcpMessage(rawPacket({ op: 2, options: [53, 1, 2, END] })).op).toBe('reply');
    expectDecodeError(rawPacket({ op: 0, options: DISCOVER_53 }), 'op', 0);
    expectDecodeError(rawPacket({ op: 3, options: DISCOVER_53 }), 'op', 0);
  });

  it('D06: htype 1 with hlen 0 decodes with no hardware address (the server refuses it: no identity)', () => {
    const m = decodeDhcpMessage(rawPacket({ hlen: 0, options: DISCOVER_53 }));
    expect(m.clientHardwareAddress).toHaveLength(0);
    expect(clientMac(m)).toBeUndefined();
  });

  it.each([17, 100, 255])('D07: hlen %d is more than chaddr holds', (hlen) => {
    expectDecodeError(rawPacket({ hlen, options: DISCOVER_53 }), 'hlen', 2);
  });

  it('D08: htype 0 with hlen 6', () => {
    expectDecodeError(rawPacket({ htype: 0, hlen: 6, options: DISCOVER_53 }), 'htype', 1);
  });

  it('htype 0 with hlen 0 is allowed (identity from option 61 only)', () => {
    const m = decodeDhcpMessage(rawPacket({ htype: 0, hlen: 0, options: [...DISCOVER_53, 61, 3, 0, 1, 2] }));
    expect(Array.from(m.options.clientIdentifier ?? [])).toEqual([0, 1, 2]);
  });
});

describe('message type (D09–D11)', () => {
  it('D09: no option 53', () => {
    expectDecodeError(rawPacket({ options: [12, 3, 0x61, 0x62, 0x63, END] }), 'no-msgtype', 240);
  });

  it.each([0, 9, 18, 255])('D10: option 53 = %d is not a type we speak', (type) => {
    expectDecodeError(rawPacket({ options: [53, 1, type, END] }), 'msgtype', 242);
  });

  it.each([
    [2, 'offer'],
    [5, 'ack'],
    [6, 'nak'],
  ] as const)(
    'D10: option 53 = %d (%s) decodes; dropping server types on :67 is the server’s rule',
    (code, type) => {
      expect(decodeDhcpMessage(rawPacket({ options: [53, 1, code, END] })).messageType).toBe(type);
    },
  );

  it.each([
    ['length 0', [53, 0, END]],
    ['length 2', [53, 2, 1, 1, END]],
    ['two instances concatenated to length 2 (RFC 3396)', [53, 1, 1, 53, 1, 1, END]],
  ])('D11: option 53 with %s', (_label, options) => {
    expectDecodeError(rawPacket({ options }), 'opt-len', 242);
  });
});

describe('option area (D12–D15)', () => {
  it('D12: an option whose length runs past the end (0c ff + 3 bytes)', () => {
    expectDecodeError(
      rawPacket({ options: [...DISCOVER_53, 0x0c, 0xff, 0x61, 0x62, 0x63] }),
      'truncated-option',
      243,
    );
  });

  it('D12: the last option (3d 10 + 2 bytes) is cut short', () => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, 0x3d, 0x10, 1, 2] }), 'truncated-option', 243);
  });

  it('D12: a code byte with no length byte at the very end', () => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, 12] }), 'truncated-option', 243);
  });

  it('D13a: no END, every option well-formed: accepted', () => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 57, 2, 0x05, 0xc0] }));
    expect(m.options.maximumMessageSize).toBe(1472);
  });

  it('D13b: 500 bytes of garbage after END are not parsed', () => {
    const garbage = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? 53 : 0xff));
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, END, ...garbage] }));
    expect(m.messageType).toBe('discover');
    expect(m.otherOptions).toEqual([]);
  });

  it('pads before, between and after options are skipped', () => {
    const m = decodeDhcpMessage(
      rawPacket({ options: [0, 0, ...DISCOVER_53, 0, 51, 4, 0, 0, 0x0e, 0x10, 0, END] }),
    );
    expect(m.options.leaseTime).toBe(3600);
  });

  it('D14: overload 3 reads file then sname, bounded to each field, ignoring a nested option 52', () => {
    // file: a host name, another option 52 (ignored), and no END: the run stops at the field's edge.
    const file = new Uint8Array(128);
    file.set([12, 4, 0x68, 0x6f, 0x73, 0x74, 52, 1, 3]);
    for (let i = 9; i < 128; i++) file[i] = 0; // pads to the edge, no END
    // sname: the TFTP server name and END, then bytes that would be an option if read.
    const sname = new Uint8Array(64);
    sname.set([66, 3, 0x74, 0x66, 0x74, END, 51, 4, 0, 0, 0, 1]);
    const m = decodeDhcpMessage(rawPacket({ file, sname, options: [...DISCOVER_53, 52, 1, 3, END] }));
    expect(m.options.hostName).toBe('host');
    expect(m.options.tftpServerName).toBe('tft');
    expect(m.options.leaseTime).toBeUndefined();
    expect(m.serverHostName).toBe('');
    expect(m.bootFile).toBe('');
    expect(m.rejectedOptions).toEqual([{ code: 52, offset: 114, reason: 'overload' }]);
  });

  it('D14: RFC 3396 concatenation runs across options, file and sname in that order', () => {
    const file = new Uint8Array(128);
    file.set([60, 3, 0x42, 0x42, 0x42, END]);
    const sname = new Uint8Array(64);
    sname.set([60, 2, 0x43, 0x43, END]);
    const m = decodeDhcpMessage(
      rawPacket({ file, sname, options: [...DISCOVER_53, 52, 1, 3, 60, 1, 0x41, END] }),
    );
    expect(m.options.vendorClassIdentifier).toBe('ABBBCC');
  });

  it('D14: an option in file that runs past the 128-byte field is truncated, not read into the cookie', () => {
    const file = new Uint8Array(128);
    file[126] = 12;
    file[127] = 8; // would run into the cookie and options
    expectDecodeError(
      rawPacket({ file, options: [...DISCOVER_53, 52, 1, 1, END] }),
      'truncated-option',
      108 + 126,
    );
  });

  it('overload 1 leaves sname as text; overload 2 leaves file as text', () => {
    const name = new TextEncoder().encode('srv');
    const fileOpts = new Uint8Array(128);
    fileOpts.set([END]);
    const m1 = decodeDhcpMessage(
      rawPacket({ sname: name, file: fileOpts, options: [...DISCOVER_53, 52, 1, 1] }),
    );
    expect(m1.serverHostName).toBe('srv');
    expect(m1.bootFile).toBe('');
    const bootFile = new TextEncoder().encode('pxelinux.0');
    const m2 = decodeDhcpMessage(rawPacket({ file: bootFile, options: [...DISCOVER_53, 52, 1, 2] }));
    expect(m2.bootFile).toBe('pxelinux.0');
    expect(m2.serverHostName).toBe('');
  });

  it.each([
    ['value 0', [52, 1, 0], 245],
    ['value 4', [52, 1, 4], 245],
    ['value 255', [52, 1, 255], 245],
    ['length 0', [52, 0], 243],
    ['length 2', [52, 2, 1, 2], 243],
    ['twice (concatenated to length 2)', [52, 1, 1, 52, 1, 1], 243],
  ])('D15: option 52 with %s is refused', (_label, overload, offset) => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, ...overload, END] }), 'overload', offset);
  });
});

describe('option values (D16–D21)', () => {
  it('D16: option 12 repeated 300 times concatenates to a 300-byte name, which is rejected, not the packet', () => {
    const instances = Array.from({ length: 300 }, () => [12, 1, 0x61]).flat();
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, ...instances, END] }));
    expect(m.options.hostName).toBeUndefined();
    expect(m.rejectedOptions).toEqual([{ code: 12, offset: 245, reason: 'hostname' }]);
    expect(m.otherOptions[0]?.data).toHaveLength(300);
  });

  it('D16: option 55 with 255 entries decodes', () => {
    const list = Array.from({ length: 255 }, (_, i) => i + 1);
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 55, 255, ...list, END] }));
    expect(m.options.parameterRequestList).toHaveLength(255);
  });

  it.each([
    ['length 0', [61, 0]],
    ['length 1', [61, 1, 1]],
  ])('D17: option 61 with %s refuses the packet', (_label, option) => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, ...option, END] }), 'opt-len', 245);
  });

  it('D17: option 61 of 255 bytes decodes whole', () => {
    const id = Array.from({ length: 255 }, (_, i) => i);
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 61, 255, ...id, END] }));
    expect(m.options.clientIdentifier).toHaveLength(255);
  });

  it.each([
    ['length 0', [], 'empty'],
    ['all NULs', [0, 0, 0, 0], 'empty'],
    ['a newline', [...Buffer.from('web\nd-i preseed')], 'hostname'],
    ['an ANSI escape', [0x1b, ...Buffer.from('[31mred')], 'hostname'],
    ['255 dots', repeat(255, 0x2e), 'hostname'],
    ['an underscore', [...Buffer.from('web_1')], 'hostname'],
    ['a 64-character label', repeat(64, 0x61), 'hostname'],
  ])('D18: option 12 with %s is dropped, the packet kept', (_label, name, reason) => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 12, name.length, ...name, END] }));
    expect(m.options.hostName).toBeUndefined();
    expect(m.rejectedOptions).toEqual([{ code: 12, offset: 245, reason }]);
    // The bytes stay available (and re-encode as they came), outside the typed view.
    expect(Array.from(m.otherOptions[0]?.data ?? [])).toEqual(name);
  });

  it('D18: a trailing NUL is removed (RFC 2132 §2) and the name kept', () => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 12, 4, 0x77, 0x65, 0x62, 0, END] }));
    expect(m.options.hostName).toBe('web');
  });

  it.each([
    ['length 1', [81, 1, 0]],
    ['length 2', [81, 2, 0, 0]],
    ['flags 0xff (N and S)', [81, 3, 0xff, 0, 0]],
    ['a label length past the end', [81, 6, 0x05, 0, 0, 9, 0x61, 0x62]],
    ['a compression pointer', [81, 5, 0x05, 0, 0, 0xc0, 0x0c]],
    ['data after the root label', [81, 7, 0x05, 0, 0, 1, 0x61, 0, 0x62]],
    ['a control character in ASCII form', [81, 5, 0x01, 0, 0, 0x61, 0x0a]],
  ])('D19: option 81 with %s refuses the packet', (_label, option) => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, ...option, END] }), 'fqdn');
  });

  it.each([0, 100, 575])('D20: option 57 = %d decodes, and the reply limit stays at 576 − 28', (size) => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 57, 2, size >> 8, size & 0xff, END] }));
    expect(m.options.maximumMessageSize).toBe(size);
    expect(replySizeLimit(m.options.maximumMessageSize)).toBe(548);
  });

  it('D20: option 57 of the wrong length refuses the packet', () => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, 57, 1, 5, END] }), 'opt-len', 245);
  });

  const PXE = [60, 9, ...Buffer.from('PXEClient')];
  it.each([
    ['93 of length 1', [93, 1, 0], 93, 'opt-len'],
    ['93 of length 3', [93, 3, 0, 7, 0], 93, 'opt-len'],
    ['94 of length 2', [94, 2, 1, 2], 94, 'opt-len'],
    ['94 of length 4', [94, 4, 1, 2, 1, 0], 94, 'opt-len'],
    ['97 of length 16', [97, 16, ...repeat(16, 1)], 97, 'opt-len'],
    ['97 of length 18', [97, 18, ...repeat(18, 0)], 97, 'opt-len'],
    ['97 with type 1', [97, 17, 1, ...repeat(16, 1)], 97, 'machine-id-type'],
  ])(
    'D21: a PXE client with option %s keeps its address path: the option is rejected',
    (_l, option, code, reason) => {
      const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, ...PXE, ...option, END] }));
      expect(m.options.vendorClassIdentifier).toBe('PXEClient');
      expect(m.rejectedOptions).toEqual([{ code, offset: 256, reason }]);
      expect(m.options.clientSystemArchitectures).toBeUndefined();
      expect(m.options.clientNetworkInterface).toBeUndefined();
      expect(m.options.clientMachineId).toBeUndefined();
    },
  );

  it('D21: option 97 of length 0 is present and empty (null), not an error', () => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, ...PXE, 97, 0, END] }));
    expect(m.options.clientMachineId).toBeNull();
    expect(m.rejectedOptions).toEqual([]);
  });

  it('D22: an unknown architecture decodes as its number', () => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 93, 4, 0x00, 0xff, 0xff, 0xff, END] }));
    expect(m.options.clientSystemArchitectures).toEqual([0x00ff, 0xffff]);
  });

  it.each([
    ['1 (subnet mask) of 3 bytes', [1, 3, 255, 255, 0]],
    ['3 (routers) of 6 bytes', [3, 6, 1, 2, 3, 4, 5, 6]],
    ['50 (requested IP) of 5 bytes', [50, 5, 1, 2, 3, 4, 5]],
    ['51 (lease time) of 2 bytes', [51, 2, 0, 1]],
    ['54 (server id) of 0 bytes', [54, 0]],
  ])('a fixed-format option %s refuses the packet (opt-len)', (_label, option) => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, ...option, END] }), 'opt-len', 245);
  });

  it('a malformed option 82 refuses the packet (relay-agent)', () => {
    expectDecodeError(rawPacket({ options: [...DISCOVER_53, 82, 3, 1, 5, 0, END] }), 'relay-agent', 245);
    expectDecodeError(
      rawPacket({ options: [...DISCOVER_53, 82, 5, 5, 3, 1, 2, 3, END] }),
      'relay-agent',
      245,
    );
  });
});

describe('fields kept as sent (D31)', () => {
  it('hops 255, secs 65535 and reserved flag bits decode unchanged', () => {
    const m = decodeDhcpMessage(rawPacket({ hops: 255, secs: 65535, flags: 0xffff, options: DISCOVER_53 }));
    expect(m.hops).toBe(255);
    expect(m.secondsElapsed).toBe(65535);
    expect(m.flags).toBe(0xffff);
  });

  it('sname and file without a NUL are read to the end of their field', () => {
    const m = decodeDhcpMessage(
      rawPacket({
        sname: new Uint8Array(64).fill(0x73),
        file: new Uint8Array(128).fill(0x66),
        options: DISCOVER_53,
      }),
    );
    expect(m.serverHostName).toBe('s'.repeat(64));
    expect(m.bootFile).toBe('f'.repeat(128));
  });
});

// D32's time budget (1 ms per packet) is measured by `npm run bench -- codec` (bench/dhcp-decode-cost.ts) on these
// same layouts, not asserted here: a timed assertion fails on a loaded machine and proves nothing on an idle one.
describe('costliest layouts (D32)', () => {
  const [onePiecePerOption, hostNamePieces, fortyCodes] = WORST_OPTION_LAYOUTS.map((layout) => layout.bytes);

  it('630 zero-length pieces of one code concatenate to one empty option (RFC 3396)', () => {
    const m = decodeDhcpMessage(onePiecePerOption ?? new Uint8Array());
    expect(m.otherOptions.map((o) => [o.code, o.data.length])).toEqual([[150, 0]]);
  });

  it('420 one-byte host-name pieces make one 420-byte name, refused as a host name and kept raw', () => {
    const m = decodeDhcpMessage(hostNamePieces ?? new Uint8Array());
    expect(m.options.hostName).toBeUndefined();
    expect(m.otherOptions.map((o) => [o.code, o.data.length])).toEqual([[12, 420]]);
  });

  it('630 options over 40 codes give each code once', () => {
    const m = decodeDhcpMessage(fortyCodes ?? new Uint8Array());
    const codes = [
      ...m.otherOptions.map((o) => o.code),
      ...(m.optionOrder ?? []).filter((code) => code === 175),
    ];
    expect(new Set(codes)).toEqual(new Set(Array.from({ length: 40 }, (_, i) => 150 + i)));
    expect(m.otherOptions.every((o) => o.data.length === 0)).toBe(true);
  });
});
