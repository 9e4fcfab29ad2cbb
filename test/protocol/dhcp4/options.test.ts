import { describe, expect, it } from 'vitest';
import { DecodeError, EncodeError } from '../../../src/protocol/errors.js';
import {
  circuitId,
  type ClientFqdn,
  clientFqdnCodec,
  clientMachineIdCodec,
  decodeDhcpMessage,
  decodePxeVendorOptions,
  type DhcpMessage,
  encodeDhcpMessage,
  encodePxeVendorOptions,
  FQDN_FLAG_ENCODED,
  FQDN_FLAG_SERVER_UPDATES,
  hasUserClass,
  linkSelection,
  OPTION_REGISTRY,
  optionLabel,
  optionNameOf,
  pxeVendorOptionsOf,
  relayAgentInformationCodec,
  remoteId,
  serverIdOverride,
  userClassFromList,
  userClassFromRaw,
} from '../../../src/protocol/dhcp4/index.js';
import type { Uuid } from '../../../src/values/uuid.js';
import { DISCOVER_53, hex, ip, optionBytes, rawPacket, repeat, toHex } from './support.js';

const END = 255;

function message(overrides: Partial<DhcpMessage> = {}): DhcpMessage {
  return {
    op: 'request',
    hardwareType: 1,
    clientHardwareAddress: Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56),
    hops: 0,
    transactionId: 1,
    secondsElapsed: 0,
    flags: 0,
    clientAddress: ip('0.0.0.0'),
    yourAddress: ip('0.0.0.0'),
    nextServerAddress: ip('0.0.0.0'),
    relayAgentAddress: ip('0.0.0.0'),
    serverHostName: '',
    bootFile: '',
    messageType: 'discover',
    options: {},
    otherOptions: [],
    rejectedOptions: [],
    ...overrides,
  };
}

describe('registry', () => {
  it('gives every option its own code, and names structural codes for logs', () => {
    const codes = Object.values(OPTION_REGISTRY).map((s) => s.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(optionNameOf(code)).toBeDefined();
    expect(optionLabel(53)).toBe('messageType');
    expect(optionLabel(52)).toBe('optionOverload');
    expect(optionLabel(97)).toBe('clientMachineId');
    expect(optionLabel(150)).toBe('option-150');
  });
});

describe('RFC 3396 long options', () => {
  it('splits a 600-byte value into 255 + 255 + 90 instances, and joins them back', () => {
    const data = Uint8Array.from({ length: 600 }, (_, i) => i % 251);
    const bytes = encodeDhcpMessage(message({ otherOptions: [{ code: 150, data }] }));
    const opts = optionBytes(bytes);
    // 53 first, then three instances of 150.
    expect(opts.slice(0, 3)).toEqual([53, 1, 1]);
    expect(opts[3]).toBe(150);
    expect(opts[4]).toBe(255);
    expect(opts[3 + 257]).toBe(150);
    expect(opts[3 + 257 + 1]).toBe(255);
    expect(opts[3 + 514]).toBe(150);
    expect(opts[3 + 514 + 1]).toBe(90);
    const back = decodeDhcpMessage(bytes);
    expect(back.otherOptions).toEqual([{ code: 150, data }]);
  });

  it('splits a long typed value too (a 300-entry parameter list is impossible; a 70-router list is not)', () => {
    const routers = Array.from({ length: 70 }, (_, i) => ip(`10.0.${i}.1`));
    const bytes = encodeDhcpMessage(message({ options: { routers } }));
    expect(decodeDhcpMessage(bytes).options.routers).toEqual(routers);
  });

  it('concatenates instances that are not adjacent, in wire order', () => {
    const m = decodeDhcpMessage(
      rawPacket({ options: [60, 3, 0x50, 0x58, 0x45, ...DISCOVER_53, 60, 6, ...Buffer.from('Client'), END] }),
    );
    expect(m.options.vendorClassIdentifier).toBe('PXEClient');
    expect(m.optionOrder).toEqual([60, 53]);
  });

  it('encodes a zero-length unknown option as one instance of length 0', () => {
    const bytes = encodeDhcpMessage(message({ otherOptions: [{ code: 80, data: new Uint8Array(0) }] }));
    expect(optionBytes(bytes)).toEqual([53, 1, 1, 80, 0, END]);
  });
});

describe('unknown options', () => {
  it('are kept raw and re-encoded identically, in their wire order', () => {
    const options = [...DISCOVER_53, 200, 2, 0xab, 0xcd, 12, 3, 0x61, 0x62, 0x63, 150, 1, 7, END];
    const bytes = rawPacket({ options, cookie: [99, 130, 83, 99] });
    const m = decodeDhcpMessage(bytes);
    expect(m.otherOptions).toEqual([
      { code: 200, data: Uint8Array.of(0xab, 0xcd) },
      { code: 150, data: Uint8Array.of(7) },
    ]);
    expect(optionBytes(encodeDhcpMessage(m))).toEqual(options);
  });

  it('without an order, 53 goes first, then by code, 82 last (RFC 3046 §2.2)', () => {
    const bytes = encodeDhcpMessage(
      message({
        options: {
          relayAgentInformation: { subOptions: [{ code: 1, data: Uint8Array.of(9) }] },
          userClass: userClassFromRaw(Uint8Array.of(0x41)),
          subnetMask: ip('255.255.255.0'),
        },
        otherOptions: [{ code: 200, data: Uint8Array.of(1) }],
      }),
    );
    expect(optionBytes(bytes)).toEqual([
      53,
      1,
      1,
      1,
      4,
      255,
      255,
      255,
      0,
      77,
      1,
      0x41,
      200,
      1,
      1,
      82,
      3,
      1,
      1,
      9,
      END,
    ]);
  });
});

describe('option 81, client FQDN (RFC 4702)', () => {
  it.each<[string, ClientFqdn, string]>([
    [
      'canonical wire form, fully qualified',
      {
        flags: FQDN_FLAG_ENCODED | FQDN_FLAG_SERVER_UPDATES,
        rcode1: 0,
        rcode2: 0,
        domainName: 'web1.example.test.',
      },
      '050000' + '0477656231' + '076578616d706c65' + '0474657374' + '00',
    ],
    [
      'canonical wire form, partial',
      { flags: FQDN_FLAG_ENCODED, rcode1: 0, rcode2: 0, domainName: 'web1' },
      '040000' + '0477656231',
    ],
    ['ASCII form (udhcpc -F)', { flags: 1, rcode1: 0, rcode2: 0, domainName: 'a.b' }, '010000' + '612e62'],
    ['an empty name', { flags: 0, rcode1: 255, rcode2: 255, domainName: '' }, '00ffff'],
    ['only the root label', { flags: FQDN_FLAG_ENCODED, rcode1: 0, rcode2: 0, domainName: '.' }, '04000000'],
    [
      'reserved flag bits kept (ignored, RFC 4702 §2.1)',
      { flags: 0xf0, rcode1: 0, rcode2: 0, domainName: 'x' },
      'f0000078',
    ],
  ])('%s', (_label, value, wire) => {
    expect(toHex(clientFqdnCodec.encode(value))).toBe(wire);
    expect(clientFqdnCodec.decode(hex(wire), 0)).toEqual(value);
  });

  it('refuses to encode what it would not decode', () => {
    const bad: ClientFqdn[] = [
      { flags: FQDN_FLAG_ENCODED, rcode1: 0, rcode2: 0, domainName: 'a..b' },
      { flags: FQDN_FLAG_ENCODED, rcode1: 0, rcode2: 0, domainName: `${'a'.repeat(64)}.b` },
      { flags: 0, rcode1: 0, rcode2: 0, domainName: 'tab\there' },
    ];
    for (const value of bad) expect(() => clientFqdnCodec.encode(value)).toThrow(EncodeError);
  });

  it('refuses a wire name longer than 255 bytes', () => {
    const name = [...repeat(5, 0), ...Array.from({ length: 5 }, () => [63, ...repeat(63, 0x61)]).flat()];
    expect(() =>
      clientFqdnCodec.decode(Uint8Array.from([FQDN_FLAG_ENCODED, 0, 0, ...name.slice(5)]), 0),
    ).toThrow(expect.objectContaining({ reason: 'fqdn' }));
  });
});

describe('option 77, user class', () => {
  it('offers the bare-string view for iPXE and the RFC 3004 view for compliant clients', () => {
    const ipxe = userClassFromRaw(new TextEncoder().encode('iPXE'));
    expect(ipxe.text).toBe('iPXE');
    expect(ipxe.classes).toBeUndefined(); // 'i' = 105 is longer than what follows
    expect(hasUserClass(ipxe, 'iPXE')).toBe(true);

    const rfc = userClassFromList(['iPXE', 'gpxe']);
    expect(toHex(rfc.raw)).toBe('0469505845' + '0467707865');
    expect(rfc.classes).toEqual(['iPXE', 'gpxe']);
    expect(hasUserClass(rfc, 'gpxe')).toBe(true);
    expect(hasUserClass(rfc, 'iPX')).toBe(false);
  });

  it('re-encodes the raw bytes whichever view parsed', () => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 77, 4, 0x69, 0x50, 0x58, 0x45, END] }));
    expect(optionBytes(encodeDhcpMessage(m))).toEqual([...DISCOVER_53, 77, 4, 0x69, 0x50, 0x58, 0x45, END]);
  });

  it('rejects an empty option 77 without refusing the packet', () => {
    const m = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, 77, 0, END] }));
    expect(m.rejectedOptions).toEqual([{ code: 77, offset: 245, reason: 'opt-len' }]);
  });
});

describe('option 82, relay agent information (RFC 3046)', () => {
  const wire = hex(
    '0106' + '657468302f31' + '0204' + 'c0000201' + '0504' + 'c6120000' + '0b04' + 'c6120001' + '9703000102',
  );

  it('decodes sub-options in order and reads the named ones', () => {
    const info = relayAgentInformationCodec.decode(wire, 0);
    expect(info.subOptions.map((s) => s.code)).toEqual([1, 2, 5, 11, 151]);
    expect(new TextDecoder().decode(circuitId(info))).toBe('eth0/1');
    expect(toHex(remoteId(info) ?? new Uint8Array())).toBe('c0000201');
    expect(linkSelection(info)).toBe('198.18.0.0');
    expect(serverIdOverride(info)).toBe('198.18.0.1');
  });

  it('echoes byte for byte', () => {
    expect(toHex(relayAgentInformationCodec.encode(relayAgentInformationCodec.decode(wire, 0)))).toBe(
      toHex(wire),
    );
  });

  it('refuses truncated sub-options, a missing length and wrong fixed lengths', () => {
    for (const bad of ['0105616263', '01', '050300000', '0b0500000000ff', '']) {
      expect(() => relayAgentInformationCodec.decode(hex(bad.length % 2 ? `${bad}0` : bad), 10)).toThrow(
        expect.objectContaining({ reason: 'relay-agent' }),
      );
    }
  });
});

describe('options 93, 94, 97 (RFC 4578)', () => {
  it('reads option 97 with the SMBIOS byte order: the first three fields are little-endian', () => {
    // protocol-digest §2.1: dmidecode 4c4c4544-0035-5910-8048-b7c04f4e3732 is sent as 44 45 4c 4c 35 00 10 59 80 48 …
    const wire = hex('00' + '44454c4c' + '3500' + '1059' + '8048' + 'b7c04f4e3732');
    expect(clientMachineIdCodec.decode(wire, 0)).toBe('4c4c4544-0035-5910-8048-b7c04f4e3732');
    expect(toHex(clientMachineIdCodec.encode('4c4c4544-0035-5910-8048-b7c04f4e3732' as Uuid))).toBe(
      toHex(wire),
    );
  });

  it('decodes a list of architectures and the UNDI version', () => {
    const m = decodeDhcpMessage(
      rawPacket({ options: [...DISCOVER_53, 93, 4, 0, 7, 0, 9, 94, 3, 1, 3, 10, END] }),
    );
    expect(m.options.clientSystemArchitectures).toEqual([7, 9]);
    expect(m.options.clientNetworkInterface).toEqual({ type: 1, major: 3, minor: 10 });
  });
});

describe('option 43, PXE sub-options', () => {
  it('decodes the pxelinux documentation’s worked example (protocol-digest §2.3)', () => {
    const wire = hex(
      '090f80000c' +
        Buffer.from('Network boot').toString('hex') +
        '0a0700' +
        Buffer.from('Prompt').toString('hex') +
        '060102' +
        '0803800000' +
        '470480000000' +
        'ff',
    );
    expect(decodePxeVendorOptions(wire)).toEqual({
      bootMenu: [{ type: 0x8000, description: 'Network boot' }],
      menuPrompt: { timeout: 0, prompt: 'Prompt' },
      discoveryControl: 2,
      bootServers: [{ type: 0x8000, addresses: [] }],
      bootItem: { type: 0x8000, layer: 0 },
    });
  });

  it('encodes dnsmasq’s no-menu answer as 06 01 08 ff', () => {
    expect(toHex(encodePxeVendorOptions({ discoveryControl: 8 }))).toBe('060108ff');
  });

  it('round-trips every sub-option, MTFTP ones kept raw', () => {
    const value = {
      discoveryControl: 7,
      multicastAddress: ip('224.0.1.2'),
      bootServers: [
        { type: 0, addresses: [ip('198.18.0.1'), ip('198.18.0.2')] },
        { type: 0x8000, addresses: [] },
      ],
      bootMenu: [
        { type: 0, description: 'Local disk' },
        { type: 0x8000, description: 'Install' },
      ],
      menuPrompt: { timeout: 255, prompt: 'Press F8' },
      bootItem: { type: 0x8000, layer: 0x8001 },
      other: [{ code: 1, data: Uint8Array.of(224, 0, 1, 1) }],
    };
    expect(decodePxeVendorOptions(encodePxeVendorOptions(value))).toEqual(value);
  });

  it.each([
    ['a sub-option past the end', '0605'],
    ['discovery control of 2 bytes', '06020102ff'],
    ['a boot server list cut inside an address', '080580000101c6ff'],
    ['a menu item whose text runs past its sub-option', '0904800005414243ff'],
    ['a boot item of 3 bytes', '4703800000ff'],
    ['a repeated sub-option', '060108060108ff'],
  ])('refuses %s with DecodeError("pxe")', (_label, wire) => {
    const error = (() => {
      try {
        decodePxeVendorOptions(hex(wire), 300);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DecodeError);
    expect(error).toMatchObject({ reason: 'pxe' });
    expect((error as DecodeError).offset).toBeGreaterThanOrEqual(300);
  });

  it('reads option 43 as PXE only when option 60 starts with PXEClient', () => {
    const vendor = (text: string) => [60, text.length, ...Buffer.from(text)];
    const pxe = decodeDhcpMessage(
      rawPacket({ options: [...DISCOVER_53, ...vendor('PXEClient:Arch:00007'), 43, 4, 6, 1, 8, END] }),
    );
    expect(pxeVendorOptionsOf(pxe)).toEqual({ discoveryControl: 8 });
    const other = decodeDhcpMessage(
      rawPacket({ options: [...DISCOVER_53, ...vendor('MSFT 5.0'), 43, 4, 6, 1, 8, END] }),
    );
    expect(pxeVendorOptionsOf(other)).toBeUndefined();
    const none = decodeDhcpMessage(rawPacket({ options: [...DISCOVER_53, ...vendor('PXEClient')] }));
    expect(pxeVendorOptionsOf(none)).toBeUndefined();
  });
});

describe('encoding refuses what cannot go on the wire', () => {
  it.each<[string, Partial<DhcpMessage>, string]>([
    ['a 64-character sname (no room for the NUL)', { serverHostName: 's'.repeat(64) }, 'field-too-long'],
    ['a 128-character file', { bootFile: 'f'.repeat(128) }, 'field-too-long'],
    ['a non-latin1 file name', { bootFile: 'boot/ü€.efi' }, 'text'],
    ['a file name containing NUL', { bootFile: 'a\0b' }, 'text'],
    ['17 bytes of chaddr', { clientHardwareAddress: new Uint8Array(17) }, 'range'],
    ['a lease time above 2^32 − 1', { options: { leaseTime: 2 ** 32 } }, 'range'],
    ['an empty router list', { options: { routers: [] } }, 'empty'],
    ['an invalid host name', { options: { hostName: 'web_1' } }, 'hostname'],
    ['option 52 as a raw option', { otherOptions: [{ code: 52, data: Uint8Array.of(1) }] }, 'range'],
    ['option 0 as a raw option', { otherOptions: [{ code: 0, data: Uint8Array.of(1) }] }, 'range'],
  ])('%s', (_label, overrides, reason) => {
    expect(() => encodeDhcpMessage(message(overrides))).toThrow(expect.objectContaining({ reason }));
  });

  it('accepts a 63-character sname and 127-character file, NUL-terminated', () => {
    const bytes = encodeDhcpMessage(message({ serverHostName: 's'.repeat(63), bootFile: 'f'.repeat(127) }));
    expect(bytes[44 + 63]).toBe(0);
    expect(bytes[108 + 127]).toBe(0);
    const back = decodeDhcpMessage(bytes);
    expect(back.serverHostName).toBe('s'.repeat(63));
    expect(back.bootFile).toBe('f'.repeat(127));
  });

  it('pads to 300 bytes by default, to minSize on request, and refuses more than maxSize', () => {
    expect(encodeDhcpMessage(message())).toHaveLength(300);
    expect(encodeDhcpMessage(message(), { minSize: 0 })).toHaveLength(244);
    expect(() => encodeDhcpMessage(message(), { maxSize: 299 })).toThrow(
      expect.objectContaining({ reason: 'too-big' }),
    );
  });
});
