import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NegotiationLimits } from '../../../src/protocol/tftp/options.js';
import { negotiateOptions } from '../../../src/protocol/tftp/options.js';
import type { TftpOption, TransferMode } from '../../../src/protocol/tftp/packet.js';
import { optionArb } from './support.js';

const LIMITS: NegotiationLimits = { maxBlockSize: 65464, mtu: 1500, maxWindowSize: 32, fileSize: 1_048_576 };

function opts(...pairs: string[]): TftpOption[] {
  const out: TftpOption[] = [];
  for (let i = 0; i < pairs.length; i += 2) out.push({ name: pairs[i]!, value: pairs[i + 1]! });
  return out;
}

function negotiate(
  options: TftpOption[],
  limits: Partial<NegotiationLimits> = {},
  mode: TransferMode = 'octet',
) {
  return negotiateOptions({ mode, options }, { ...LIMITS, ...limits });
}

describe('negotiateOptions: what real clients ask (protocol-digest §4.4) at MTU 1500', () => {
  it.each([
    [
      'PXELINUX 6',
      opts('tsize', '0', 'blksize', '1408'),
      opts('tsize', '1048576', 'blksize', '1408'),
      1408,
      1,
    ],
    ['iPXE', opts('blksize', '1432', 'tsize', '0'), opts('blksize', '1432', 'tsize', '1048576'), 1432, 1],
    [
      'GRUB 2.06',
      opts('blksize', '1024', 'tsize', '0'),
      opts('blksize', '1024', 'tsize', '1048576'),
      1024,
      1,
    ],
    [
      'EDK2 probe',
      opts('tsize', '0', 'blksize', '1468', 'windowsize', '4'),
      opts('tsize', '1048576', 'blksize', '1468', 'windowsize', '4'),
      1468,
      4,
    ],
    [
      'EDK2 real RRQ',
      opts('blksize', '1468', 'windowsize', '4'),
      opts('blksize', '1468', 'windowsize', '4'),
      1468,
      4,
    ],
  ])('%s', (_client, requested, accepted, blockSize, windowSize) => {
    const result = negotiate(requested);
    expect(result.accepted).toEqual(accepted);
    expect(result.effective).toMatchObject({ blockSize, windowSize });
    expect(result.ignored).toEqual([]);
  });

  it('no options: no OACK, 512-byte lock-step (RFC 1350)', () => {
    expect(negotiate([])).toEqual({
      accepted: [],
      effective: { blockSize: 512, windowSize: 1, timeoutSeconds: undefined, transferSize: undefined },
      ignored: [],
    });
  });

  it('answers under the name as the client spelled it, in its order (names are case-insensitive, RFC 2347)', () => {
    expect(negotiate(opts('TSize', '0', 'BLKSIZE', '1024')).accepted).toEqual(
      opts('TSize', '1048576', 'BLKSIZE', '1024'),
    );
  });
});

describe('negotiateOptions: blksize (RFC 2348; catalogue T09)', () => {
  it.each([
    ['0', undefined, 'out-of-range'],
    ['7', undefined, 'out-of-range'],
    ['8', 8, undefined],
    ['512', 512, undefined],
    ['1468', 1468, undefined],
    ['1469', 1468, undefined],
    ['65464', 1468, undefined],
    ['65465', undefined, 'out-of-range'],
    ['99999999999', undefined, 'out-of-range'],
    ['9'.repeat(40), undefined, 'out-of-range'],
    ['-1', undefined, 'unparsable'],
    ['abc', undefined, 'unparsable'],
    ['', undefined, 'unparsable'],
    ['+512', undefined, 'unparsable'],
    [' 512', undefined, 'unparsable'],
    ['0x200', undefined, 'unparsable'],
    ['5e2', undefined, 'unparsable'],
    ['01024', 1024, undefined],
  ])('blksize %j → %s', (value, granted, reason) => {
    const result = negotiate(opts('blksize', value));
    if (granted === undefined) {
      expect(result.accepted).toEqual([]);
      expect(result.ignored).toEqual([{ name: 'blksize', value, reason }]);
      expect(result.effective.blockSize).toBe(512);
    } else {
      expect(result.accepted).toEqual(opts('blksize', String(granted)));
      expect(result.effective.blockSize).toBe(granted);
    }
  });

  it.each([
    [{ mtu: 1500, maxBlockSize: 65464 }, 1468],
    [{ mtu: 9000, maxBlockSize: 65464 }, 8968],
    [{ mtu: 9000, maxBlockSize: 8192 }, 8192],
    [{ mtu: 1500, maxBlockSize: 1024 }, 1024],
    [{ mtu: 576, maxBlockSize: 65464 }, 544],
    [{ mtu: 65535, maxBlockSize: 65464 }, 65464],
  ])('caps a request for 65464 at min(configured, MTU − 32): %o → %i', (limits, cap) => {
    expect(negotiate(opts('blksize', '65464'), limits).effective.blockSize).toBe(cap);
    expect(negotiate(opts('blksize', '512'), limits).effective.blockSize).toBe(Math.min(512, cap));
  });
});

describe('negotiateOptions: timeout (RFC 2349; catalogue T10)', () => {
  it.each([
    ['1', 1],
    ['5', 5],
    ['255', 255],
    ['0', undefined],
    ['256', undefined],
    ['-5', undefined],
    ['1e9', undefined],
  ])('timeout %j → %s, echoed unchanged when accepted', (value, seconds) => {
    const result = negotiate(opts('timeout', value));
    expect(result.effective.timeoutSeconds).toBe(seconds);
    expect(result.accepted).toEqual(seconds === undefined ? [] : opts('timeout', value));
  });

  it('ignores utimeout with a huge value as an unknown option (CVE-2011-2199 class)', () => {
    const result = negotiate(opts('utimeout', '99999999999999'));
    expect(result.accepted).toEqual([]);
    expect(result.ignored).toEqual([{ name: 'utimeout', value: '99999999999999', reason: 'unknown' }]);
  });
});

describe('negotiateOptions: tsize (RFC 2349; catalogue T11)', () => {
  it('answers the real size whatever number the RRQ carried', () => {
    for (const value of ['0', '123', '99999999999']) {
      expect(negotiate(opts('tsize', value)).accepted).toEqual(opts('tsize', '1048576'));
    }
    expect(negotiate(opts('tsize', '0'), { fileSize: 0 }).effective.transferSize).toBe(0);
  });

  it('does not offer tsize in netascii, for an unknown size, or for a value that is not a number', () => {
    expect(negotiate(opts('tsize', '0'), {}, 'netascii').ignored).toEqual([
      { name: 'tsize', value: '0', reason: 'no-size' },
    ]);
    expect(negotiate(opts('tsize', '0'), { fileSize: undefined }).ignored).toEqual([
      { name: 'tsize', value: '0', reason: 'no-size' },
    ]);
    expect(negotiate(opts('tsize', 'abc')).ignored).toEqual([
      { name: 'tsize', value: 'abc', reason: 'unparsable' },
    ]);
  });

  it('still grants blksize in netascii', () => {
    expect(negotiate(opts('tsize', '0', 'blksize', '1024'), {}, 'netascii').accepted).toEqual(
      opts('blksize', '1024'),
    );
  });
});

describe('negotiateOptions: windowsize (RFC 7440; catalogue T12)', () => {
  it.each([
    ['0', undefined, 'out-of-range'],
    ['1', 1, undefined],
    ['4', 4, undefined],
    ['32', 32, undefined],
    ['33', 32, undefined],
    ['65535', 32, undefined],
    ['65536', undefined, 'out-of-range'],
    ['4294967296', undefined, 'out-of-range'],
    ['many', undefined, 'unparsable'],
  ])('windowsize %j with a cap of 32 → %s', (value, granted, reason) => {
    const result = negotiate(opts('windowsize', value));
    expect(result.effective.windowSize).toBe(granted ?? 1);
    if (granted === undefined) expect(result.ignored).toEqual([{ name: 'windowsize', value, reason }]);
    else expect(result.accepted).toEqual(opts('windowsize', String(granted)));
  });

  it('the PXE Dust combination (blksize 65464, windowsize 65535) is bounded by both caps', () => {
    const { effective } = negotiate(opts('blksize', '65464', 'windowsize', '65535'));
    expect(effective.blockSize * effective.windowSize).toBe(1468 * 32);
  });
});

describe('negotiateOptions: odd option lists (catalogue T13)', () => {
  it('uses the first occurrence of a repeated option, even when the first is invalid', () => {
    expect(negotiate(opts('blksize', '1024', 'BLKSIZE', '512'))).toMatchObject({
      accepted: opts('blksize', '1024'),
      ignored: [{ name: 'BLKSIZE', value: '512', reason: 'duplicate' }],
    });
    expect(negotiate(opts('blksize', 'abc', 'blksize', '512'))).toMatchObject({
      accepted: [],
      ignored: [
        { name: 'blksize', value: 'abc', reason: 'unparsable' },
        { name: 'blksize', value: '512', reason: 'duplicate' },
      ],
      effective: { blockSize: 512 },
    });
  });

  it('ignores unknown options and leaves them out of the OACK', () => {
    const result = negotiate(opts('msftwindow', '31416', 'foo', 'bar', 'multicast', '', 'tsize', '0'));
    expect(result.accepted).toEqual(opts('tsize', '1048576'));
    expect(result.ignored.map((o) => [o.name, o.reason])).toEqual([
      ['msftwindow', 'unknown'],
      ['foo', 'unknown'],
      ['multicast', 'unknown'],
    ]);
  });
});

describe('negotiateOptions: limits are checked (a configuration bug, not a client error)', () => {
  it.each<Partial<NegotiationLimits>>([
    { maxBlockSize: 7 },
    { maxBlockSize: 65465 },
    { mtu: 39 },
    { mtu: 65536 },
    { maxWindowSize: 0 },
    { maxWindowSize: 65536 },
    { fileSize: -1 },
    { fileSize: 1.5 },
  ])('%o throws RangeError', (limits) => {
    expect(() => negotiate([], limits)).toThrow(RangeError);
  });
});

/**
 * EDK2's check of an OACK (Mtftp4Rrq.c `Mtftp4RrqOackValid`, Mtftp4Option.c), restated: no option it did not
 * request (names compared without case), blksize and windowsize no larger than requested, timeout unchanged, and
 * each value within the range Mtftp4ParseOption accepts.
 */
function edk2AcceptsOack(requested: readonly TftpOption[], oack: readonly TftpOption[]): boolean {
  const first = new Map<string, string>();
  for (const o of requested) if (!first.has(o.name.toLowerCase())) first.set(o.name.toLowerCase(), o.value);
  return oack.every(({ name, value }) => {
    const asked = first.get(name.toLowerCase());
    if (asked === undefined || !/^[0-9]+$/.test(value)) return false;
    const n = Number(value);
    switch (name.toLowerCase()) {
      case 'blksize':
        return n >= 8 && n <= 65464 && n <= Number(asked);
      case 'windowsize':
        return n >= 1 && n <= Number(asked);
      case 'timeout':
        return n >= 1 && n <= 255 && n === Number(asked);
      case 'tsize':
        return true;
      default:
        return false;
    }
  });
}

describe('negotiateOptions properties', () => {
  const limitsArb: fc.Arbitrary<NegotiationLimits> = fc.record({
    maxBlockSize: fc.integer({ min: 8, max: 65464 }),
    mtu: fc.integer({ min: 40, max: 65535 }),
    maxWindowSize: fc.integer({ min: 1, max: 65535 }),
    fileSize: fc.option(fc.nat(), { nil: undefined }),
  });
  const requestArb = fc.record({
    mode: fc.constantFrom<TransferMode>('octet', 'netascii'),
    options: fc.array(
      fc.oneof(
        optionArb,
        fc.record({
          name: fc.constantFrom('blksize', 'timeout', 'tsize', 'windowsize', 'BlkSize', 'WINDOWSIZE'),
          value: fc.oneof(fc.nat({ max: 70000 }).map(String), fc.constantFrom('', '-1', 'abc', '00012')),
        }),
      ),
      { maxLength: 16 },
    ),
  });

  it('every OACK passes EDK2’s check, and every option is either accepted or ignored, once', () => {
    fc.assert(
      fc.property(requestArb, limitsArb, (request, limits) => {
        const { accepted, ignored, effective } = negotiateOptions(request, limits);
        expect(edk2AcceptsOack(request.options, accepted)).toBe(true);
        expect(accepted.length + ignored.length).toBe(request.options.length);
        expect(new Set(accepted.map((o) => o.name.toLowerCase())).size).toBe(accepted.length);
        const cap = Math.min(limits.maxBlockSize, limits.mtu - 32);
        expect(effective.blockSize === 512 || (effective.blockSize >= 8 && effective.blockSize <= cap)).toBe(
          true,
        );
        expect(effective.windowSize).toBeGreaterThanOrEqual(1);
        expect(effective.windowSize).toBeLessThanOrEqual(limits.maxWindowSize);
      }),
      { numRuns: 3000 },
    );
  });
});
