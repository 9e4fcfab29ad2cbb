// The batch writes behind the DHCP server's group commit (catalogue L01): one transaction for many leases or
// events, with each lease's outcome what a single commit would have given it.
import { describe, expect, it } from 'vitest';
import type { Lease } from '../../../src/inventory/lease.js';
import { InvalidInputError, LeaseConflictError } from '../../../src/store/errors.js';
import type { LeaseCommitResult, Store } from '../../../src/store/types.js';
import { ip, lease, mac } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

const HOUR = 3_600_000;

/** The outcome of a single commit, in commitMany's terms. */
async function single(store: Store, l: Lease): Promise<LeaseCommitResult> {
  try {
    return { ok: true, lease: await store.leases.commit(l) };
  } catch (error) {
    if (error instanceof LeaseConflictError || error instanceof InvalidInputError)
      return { ok: false, error };
    throw error;
  }
}

/** A comparable view of a result: the lease, or the error's class, reason and holder. */
function shape(result: LeaseCommitResult | undefined): unknown {
  if (result === undefined) return undefined;
  if (result.ok) return { lease: result.lease };
  const { error } = result;
  return error instanceof LeaseConflictError
    ? { conflict: error.reason, holder: error.holder, attempted: error.attempted }
    : { invalid: error.field };
}

export function batchConformance(harness: StoreHarness): void {
  describe('leases: commitMany', () => {
    it('gives each lease what one commit at a time would, in order, and stores the same rows', async () => {
      const one = await fresh(harness);
      const many = await fresh(harness);
      const t = one.clock.now();
      expect(many.clock.now()).toBe(t);
      const setup = [lease(1, '192.0.2.10', t + HOUR), lease(2, '192.0.2.11', t + HOUR)];
      const batch: Lease[] = [
        lease(3, '192.0.2.12', t + HOUR), // new
        lease(1, '192.0.2.10', t + 2 * HOUR, { hostname: 'renewed' }), // renewal
        lease(4, '192.0.2.11', t + HOUR), // held by client 2: address-held
        lease(2, '192.0.2.13', t + HOUR), // client 2 holds .11: client-holds-another
        lease(5, '192.0.2.14', t + HOUR, { state: 'released' }), // not a commit: invalid
        lease(6, '192.0.2.12', t + HOUR), // taken by client 3 earlier in this batch
        lease(1, '192.0.2.10', t + 60_000, { state: 'offered' }), // re-offer keeps the binding
      ];
      for (const l of setup) await one.store.leases.commit(l);
      expect((await many.store.leases.commitMany(setup)).map((r) => r.ok)).toEqual([true, true]);

      const expected = [];
      for (const l of batch) expected.push(shape(await single(one.store, l)));
      const results = await many.store.leases.commitMany(batch);
      expect(results.map(shape)).toEqual(expected);
      expect(results.map((r) => (r.ok ? 'ok' : r.error.constructor.name))).toEqual([
        'ok',
        'ok',
        'LeaseConflictError',
        'LeaseConflictError',
        'InvalidInputError',
        'LeaseConflictError',
        'ok',
      ]);
      expect(await many.store.leases.listBySubnet(lease(1, '192.0.2.10', t).subnet)).toEqual(
        await one.store.leases.listBySubnet(lease(1, '192.0.2.10', t).subnet),
      );
    });

    it('leaves the leases before and after a conflict committed', async () => {
      const { store, clock } = await fresh(harness);
      const t = clock.now();
      const holder = await store.leases.commit(lease(9, '192.0.2.20', t + HOUR));
      const results = await store.leases.commitMany([
        lease(1, '192.0.2.21', t + HOUR),
        lease(2, '192.0.2.20', t + HOUR), // held by client 9
        lease(3, '192.0.2.22', t + HOUR),
      ]);
      expect(results[1]).toMatchObject({ ok: false, error: { reason: 'address-held', holder } });
      expect((await store.leases.listBySubnet(holder.subnet)).map((l) => [l.address, l.clientId])).toEqual([
        [ip('192.0.2.20'), holder.clientId],
        [ip('192.0.2.21'), lease(1, '192.0.2.21', t).clientId],
        [ip('192.0.2.22'), lease(3, '192.0.2.22', t).clientId],
      ]);
    });

    it('keeps a batch that hit a unique violation usable for the leases after it (PostgreSQL savepoints)', async () => {
      const { store, clock } = await fresh(harness);
      const t = clock.now();
      await store.leases.commit(lease(1, '192.0.2.30', t + HOUR));
      // Client 1 asking for a second address violates the (subnet, client_id) index: the statement fails.
      const results = await store.leases.commitMany([
        lease(1, '192.0.2.31', t + HOUR),
        lease(2, '192.0.2.32', t + HOUR),
      ]);
      expect(results[0]).toMatchObject({ ok: false, error: { reason: 'client-holds-another' } });
      expect(results[1]).toEqual({ ok: true, lease: lease(2, '192.0.2.32', t + HOUR) });
      expect(await store.leases.findByAddress(ip('192.0.2.32'))).toEqual(lease(2, '192.0.2.32', t + HOUR));
    });

    it('has committed the batch when it returns: another connection reads it without the store closing', async () => {
      const { target, store, clock } = await fresh(harness);
      const t = clock.now();
      await store.leases.commitMany([lease(1, '192.0.2.40', t + HOUR), lease(2, '192.0.2.41', t + HOUR)]);
      const rows = await target.query(`select address from leases order by address_num`);
      expect(rows.map((r) => r.address)).toEqual(['192.0.2.40', '192.0.2.41']);
    });

    it('answers an empty batch, and a batch of only invalid leases, without a transaction', async () => {
      const { store, clock } = await fresh(harness);
      expect(await store.leases.commitMany([])).toEqual([]);
      const [result] = await store.leases.commitMany([
        lease(1, '192.0.2.50', clock.now() + HOUR, { state: 'expired' }),
      ]);
      expect(result).toMatchObject({ ok: false, error: { field: 'state' } });
    });
  });

  describe('event log: appendMany', () => {
    it('appends in one call with increasing ids, in the given order, after earlier appends', async () => {
      const { target, store, clock } = await fresh(harness);
      const first = await store.events.append({ mac: mac(1), source: 'dhcp', kind: 'DHCPDISCOVER' });
      const ids = await store.events.appendMany([
        { mac: mac(1), source: 'dhcp', kind: 'DHCPOFFER', details: { n: 1 } },
        { mac: mac(2), source: 'dhcp', kind: 'DHCPDISCOVER' },
        { mac: mac(1), source: 'dhcp', kind: 'DHCPREQUEST', at: clock.now() - 5 },
      ]);
      expect(ids).toHaveLength(3);
      expect([first, ...ids]).toEqual([...[first, ...ids]].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(3);
      const listed = await store.events.list({ afterId: first });
      expect(listed.map((e) => [e.id, e.mac, e.kind])).toEqual([
        [ids[0], mac(1), 'DHCPOFFER'],
        [ids[1], mac(2), 'DHCPDISCOVER'],
        [ids[2], mac(1), 'DHCPREQUEST'],
      ]);
      expect(listed[0]?.details).toEqual({ n: 1 });
      // Committed when it returns.
      expect(Number((await target.query('select count(*) as n from events'))[0]?.n)).toBe(4);
      expect(await store.events.appendMany([])).toEqual([]);
    });

    it('keeps the given order across a batch larger than one INSERT, and each id names its own event', async () => {
      const { store } = await fresh(harness);
      const events = Array.from({ length: 90 }, (_, i) => ({
        mac: mac(i % 7),
        source: 'dhcp' as const,
        kind: `K${i}`,
        details: { i },
      }));
      const ids = await store.events.appendMany(events);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      const listed = await store.events.list({ limit: 1000 });
      expect(listed.map((e) => e.id)).toEqual(ids);
      expect(listed.map((e) => [e.kind, e.mac, e.details])).toEqual(
        events.map((e) => [e.kind, e.mac, e.details]),
      );
    });

    it('writes nothing when one event is not valid', async () => {
      const { store } = await fresh(harness);
      await expect(
        store.events.appendMany([
          { mac: mac(1), source: 'dhcp', kind: 'DHCPDISCOVER' },
          { source: 'dhcp', kind: 'orphan' }, // neither a machine nor a MAC
        ]),
      ).rejects.toThrow(InvalidInputError);
      expect(await store.events.list()).toEqual([]);
    });
  });
}
