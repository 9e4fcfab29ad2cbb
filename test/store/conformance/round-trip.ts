// "Everything the store writes, the loader reads back" (reliability-catalogue §6.7, the CVE-2019-6474 lesson),
// as properties over generated records, compared value by value and as JSON text (key order included).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../src/inventory/json.js';
import { ACTIVE_LEASE_STATES, type Lease, parseClientId } from '../../../src/inventory/lease.js';
import { ipv4FromInt } from '../../../src/values/ipv4.js';
import { macFromBytes } from '../../../src/values/mac.js';
import { InvalidInputError } from '../../../src/store/errors.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

const RUNS = 60;

/** Any text either database keeps intact: every code point except NUL (PostgreSQL text cannot hold it). */
const text = (maxLength: number) =>
  fc.string({ unit: 'binary', maxLength }).filter((s) => !s.includes('\u0000'));

const hex = (minBytes: number, maxBytes: number) =>
  fc.uint8Array({ minLength: minBytes, maxLength: maxBytes }).map((b) => Buffer.from(b).toString('hex'));

/** Leases; run `n` gets its own /8 so that runs never collide in one database. */
function leaseFor(n: number) {
  return fc
    .record({
      prefixLength: fc.integer({ min: 8, max: 32 }),
      hostBits: fc.integer({ min: 0, max: 0xffffff }),
      networkBits: fc.integer({ min: 0, max: 0xffffff }),
      clientId: hex(2, 255),
      chaddr: fc.uint8Array({ minLength: 6, maxLength: 6 }),
      state: fc.constantFrom(...ACTIVE_LEASE_STATES),
      expiresAt: fc.integer({ min: 0, max: 2 ** 47 }),
      serverId: fc.integer({ min: 0, max: 0xffffffff }),
      hostname: fc.option(text(255).filter((s) => s !== '')), // empty is refused: null means none
      relayAgentInfo: fc.option(hex(1, 255)),
    })
    .map((r): Lease => {
      const hostMask = r.prefixLength === 32 ? 0 : 2 ** (32 - r.prefixLength) - 1;
      const eight = (n % 223) + 1; // 1..223: a distinct /8 for each of fewer than 223 runs
      const network = (eight * 2 ** 24 + (r.networkBits & ~hostMask & 0xffffff)) >>> 0;
      const address = ipv4FromInt((network + (r.hostBits & hostMask)) >>> 0);
      return {
        address,
        subnet: { network: ipv4FromInt(network), prefixLength: r.prefixLength },
        clientId: parseClientId(r.clientId),
        mac: macFromBytes(r.chaddr),
        state: r.state,
        expiresAt: r.expiresAt,
        serverId: ipv4FromInt(r.serverId),
        hostname: r.hostname,
        relayAgentInfo: r.relayAgentInfo,
      };
    });
}

/** JSON cannot spell -0: the store documents that it loads back as 0, so generated inputs say 0. */
function withoutNegativeZero(value: JsonValue): JsonValue {
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : value;
  if (Array.isArray(value)) return value.map(withoutNegativeZero);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutNegativeZero(v)]));
  }
  return value;
}

const details = fc
  .dictionary(fc.string({ unit: 'binary' }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 8 })
  .map((d) => withoutNegativeZero(d as JsonValue) as JsonObject);

export function roundTripConformance(harness: StoreHarness): void {
  describe('round trip', () => {
    it('reads back every valid lease exactly as committed', async () => {
      const { store } = await fresh(harness);
      let n = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.constant(null).chain(() => leaseFor(n++)),
          async (lease) => {
            const written = await store.leases.commit(lease);
            const read = await store.leases.findByAddress(lease.address);
            expect(written).toEqual(lease);
            expect(read).toEqual(lease);
            expect(JSON.stringify(read)).toBe(JSON.stringify(lease));
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('reads back every event exactly as appended, details included', async () => {
      const { store } = await fresh(harness);
      await fc.assert(
        fc.asyncProperty(
          details,
          text(64).filter((s) => s !== ''),
          fc.integer({ min: 0, max: 2 ** 47 }),
          async (eventDetails, kind, at) => {
            const id = await store.events.append({
              mac: macFromBytes(Buffer.alloc(6, 1)),
              source: 'http',
              kind,
              details: eventDetails,
              at,
            });
            const [read] = await store.events.list({ afterId: id - 1, limit: 1 });
            expect(read).toEqual({
              id,
              at,
              machineId: null,
              mac: '01:01:01:01:01:01',
              source: 'http',
              kind,
              details: eventDetails,
            });
            expect(JSON.stringify(read?.details)).toBe(JSON.stringify(eventDetails));
          },
        ),
        { numRuns: RUNS },
      );
    });

    it('refuses text that one of the databases would alter, in both dialects alike', async () => {
      const { store } = await fresh(harness);
      await fc.assert(
        fc.asyncProperty(
          text(20),
          fc.constantFrom('\u0000', '\ud800', '\udfff'),
          text(20),
          async (before, bad, after) => {
            await expect(
              store.audit.append({
                actor: `${before}${bad}${after}`,
                action: 'x',
                target: 't',
                outcome: 'ok',
              }),
            ).rejects.toThrow(InvalidInputError);
          },
        ),
        { numRuns: 30 },
      );
      expect(await store.audit.list()).toEqual([]);
    });
  });
}
