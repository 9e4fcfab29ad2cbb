// The hand-written conversions on the DHCP hot path (values/ipv4.ts, mac.ts, uuid.ts) against the plain readings
// they replaced: the same output for every input, canonical or not.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Ipv4, ipv4FromBytes, ipv4ToBytes, ipv4ToInt, parseIpv4 } from '../../src/values/ipv4.js';
import { macFromBytes, parseMac } from '../../src/values/mac.js';
import { type Uuid, uuidFromBytes, uuidToBytes } from '../../src/values/uuid.js';

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
function referenceParseIpv4(input: string): string {
  const parts = QUAD.exec(input.trim())?.slice(1);
  if (parts === undefined || parts.some((p) => Number(p) > 255 || (p.length > 1 && p.startsWith('0'))))
    return 'refused';
  return parts.map(Number).join('.');
}
const attempt = <T>(f: () => T): T | 'refused' => {
  try {
    return f();
  } catch {
    return 'refused';
  }
};

const part = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map(String),
  fc.integer({ min: 0, max: 99 }).map((n) => `0${n}`),
  fc.constantFrom('', ' ', '-1', '+1', 'a', '1e2', '٣'),
);
const quadLike = fc.array(part, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('.'));
const order = fc.constantFrom('smbios' as const, 'network' as const);

describe('IPv4 conversions', () => {
  it('parseIpv4 accepts and refuses what the regular expression did', () => {
    fc.assert(
      fc.property(fc.oneof(quadLike, fc.string()), fc.constantFrom('', ' '), (text, pad) => {
        const input = pad + text + pad;
        expect(attempt(() => parseIpv4(input))).toBe(referenceParseIpv4(input));
      }),
      { numRuns: 2000 },
    );
  });

  it('ipv4ToInt, ipv4ToBytes and ipv4FromBytes read and write the four octets, canonical or not', () => {
    fc.assert(
      fc.property(fc.oneof(quadLike, fc.ipV4()), (text) => {
        const ip = text as Ipv4;
        expect(Array.from(ipv4ToBytes(ip))).toEqual(Array.from(Uint8Array.from(text.split('.'), Number)));
        const int = text.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
        if (Number.isNaN(int)) expect(ipv4ToInt(ip)).toBeNaN();
        else expect(ipv4ToInt(ip)).toBe(int);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (bytes) => {
        expect(ipv4FromBytes(bytes)).toBe(Array.from(bytes).join('.'));
        expect(Array.from(ipv4ToBytes(ipv4FromBytes(bytes)))).toEqual(Array.from(bytes));
      }),
    );
  });
});

describe('MAC conversions', () => {
  it('macFromBytes writes lower-case colon-separated pairs, which parseMac returns unchanged', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        const mac = macFromBytes(bytes);
        expect(mac).toBe(Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':'));
        expect(parseMac(mac)).toBe(mac);
        expect(parseMac(mac.toUpperCase().replaceAll(':', '-'))).toBe(mac);
        expect(parseMac(` ${mac} `)).toBe(mac);
      }),
    );
  });

  it.each([
    '52:54:00:12:34:5g',
    '52:54:00:12:34',
    '52:54:00:12:34:56:',
    '52;54:00:12:34:56',
    '5:254:00:12:34:56',
  ])('parseMac refuses %j', (text) => {
    expect(attempt(() => parseMac(text))).toBe('refused');
  });
});

describe('UUID conversions', () => {
  const reference = (bytes: Uint8Array, byteOrder: 'smbios' | 'network'): string => {
    const b = Array.from(bytes);
    const ordered =
      byteOrder === 'smbios'
        ? [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15].map((i) => b[i] ?? 0)
        : b;
    const hex = ordered.map((x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };

  it('uuidFromBytes and uuidToBytes are inverse in both byte orders, in either case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), order, fc.boolean(), (bytes, o, upper) => {
        const uuid = uuidFromBytes(bytes, o);
        expect(uuid).toBe(reference(bytes, o));
        const text = (upper ? uuid.toUpperCase() : uuid) as Uuid;
        expect(Array.from(uuidToBytes(text, o))).toEqual(Array.from(bytes));
      }),
    );
  });

  it('uuidToBytes reads text that is not a canonical UUID as before: pairs of hex digits, hyphens left out', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-fg-]{30,40}$/)), order, (text, o) => {
        const pairs = Uint8Array.from(text.replace(/-/g, '').match(/../g) ?? [], (h) =>
          Number.parseInt(h, 16),
        );
        const expected =
          o === 'network'
            ? pairs
            : Uint8Array.from([3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15], (i) => pairs[i] ?? 0);
        expect(Array.from(uuidToBytes(text as Uuid, o))).toEqual(Array.from(expected));
      }),
    );
  });
});
