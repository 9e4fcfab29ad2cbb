import { describe, expect, it } from 'vitest';
import type { InstallMark, MachineId } from '../../../src/inventory/machine.js';
import {
  DuplicateValueError,
  InvalidInputError,
  MachineConflictError,
  MachineNotFoundError,
  StoreDataError,
} from '../../../src/store/errors.js';
import type { Ipv4 } from '../../../src/values/ipv4.js';
import type { Mac } from '../../../src/values/mac.js';
import type { Uuid } from '../../../src/values/uuid.js';
import { ip, mac, settle, uuid } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

const MISSING = '00000000-0000-4000-8000-000000000000' as MachineId;

function mark(tokenHash: string, at: number): InstallMark {
  return { by: 'admin', at, expiresAt: at + 3_600_000, tokenHash };
}

export function inventoryConformance(harness: StoreHarness): void {
  describe('inventory: first contact', () => {
    it('enrols a MAC as discovered on first contact, with what the client said', async () => {
      const { store, clock } = await fresh(harness);
      const { machine, created } = await store.inventory.recordContact({
        mac: mac(1),
        uuid: uuid(1),
        arch: 7,
        vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
      });
      expect(created).toBe(true);
      expect(machine).toEqual({
        id: machine.id,
        macs: [mac(1)],
        uuid: uuid(1),
        arch: 7,
        vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
        hostname: null,
        labels: {},
        reservedIp: null,
        profile: null,
        state: 'discovered',
        installMark: null,
        version: 1,
        createdAt: clock.now(),
        updatedAt: clock.now(),
      });
      // Version 7 (RFC 9562 §5.7): time-ordered, so new machines append to the id indexes (time-ordered-id.ts).
      expect(machine.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(await store.inventory.get(machine.id)).toEqual(machine);
    });

    it('fails the contacts of a machine whose row does not decode, writing nothing, and records the next', async () => {
      const { target, store } = await fresh(harness);
      const broken = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      // What a hand edit could leave behind (no constraint guards the column): a UUID that is not one. Batch
      // reads skip such a row (decodeAll), so a contact must not take its MAC for a free one: it fails instead.
      await target.execute(`update machines set uuid = 'not-a-uuid' where id = '${broken.id}'`);
      await expect(store.inventory.recordContact({ mac: mac(1), arch: 7 })).rejects.toThrow(StoreDataError);
      await expect(
        store.inventory.recordContacts([{ mac: mac(2) }, { mac: mac(1), arch: 7 }]),
      ).rejects.toThrow(StoreDataError);
      const count = async (table: string) =>
        Number((await target.query(`select count(*) as n from ${table}`))[0]?.n ?? -1);
      expect([await count('machines'), await count('machine_interfaces')]).toEqual([1, 1]);
      const next = await store.inventory.recordContact({ mac: mac(2), arch: 7 });
      expect(next).toMatchObject({ created: true, machine: { macs: [mac(2)], arch: 7 } });
    });

    it('returns the same machine on later contacts, fills in what it did not know and overwrites nothing', async () => {
      const { store, clock } = await fresh(harness);
      const first = (await store.inventory.recordContact({ mac: mac(1), arch: 7 })).machine;
      clock.advance(1000);
      const again = await store.inventory.recordContact({ mac: mac(1), arch: 7 });
      expect(again).toEqual({ machine: first, created: false }); // nothing new: not even updatedAt moves
      clock.advance(1000);
      // iPXE, then the installed OS: different vendor class and arch; only the unknown fields are learned.
      const learned = await store.inventory.recordContact({
        mac: mac(1),
        uuid: uuid(9),
        arch: 0,
        vendorClass: 'iPXE',
        hostname: 'web-1',
      });
      expect(learned.created).toBe(false);
      expect(learned.machine).toMatchObject({
        id: first.id,
        uuid: uuid(9),
        arch: 7,
        vendorClass: 'iPXE',
        hostname: 'web-1',
        version: 2,
        createdAt: first.createdAt,
        updatedAt: first.createdAt + 2000,
      });
      const later = await store.inventory.recordContact({
        mac: mac(1),
        vendorClass: 'udhcp 1.35.0',
        hostname: 'x',
      });
      expect(later.machine).toEqual(learned.machine);
      const other = await store.inventory.recordContact({ mac: mac(2), vendorClass: '', hostname: '' });
      expect(other.machine).toMatchObject({ vendorClass: null, hostname: null });
    });

    it('creates exactly one machine when contacts from one MAC race', async () => {
      const { store } = await fresh(harness);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.inventory.recordContact({ mac: mac(7), arch: i })),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.machine.id)).size).toBe(1);
      expect((await store.inventory.list()).total).toBe(1);
    });

    it('enrols a batch larger than one statement holds, each MAC once', async () => {
      const { store } = await fresh(harness);
      const contacts = Array.from({ length: 1203 }, (_, i) => ({ mac: mac(i + 1), arch: 7 }));
      const results = await store.inventory.recordContacts([...contacts, ...contacts.slice(0, 3)]);
      expect(results.filter((r) => r.created)).toHaveLength(1203);
      expect(results.slice(1203).map((r) => r.machine.id)).toEqual(
        results.slice(0, 3).map((r) => r.machine.id),
      );
      expect((await store.inventory.list()).total).toBe(1203);
      expect((await store.inventory.getByMac(mac(1203)))?.arch).toBe(7);
    });

    it('two servers enrolling the same new MACs at once make one machine per MAC', async () => {
      const { target, store } = await fresh(harness);
      const other = await target.open();
      const batch = Array.from({ length: 2000 }, (_, i) => ({ mac: mac(i + 1) }));
      const reversed = [...batch].reverse();
      // At once on PostgreSQL, where both transactions run and one meets the other's interfaces. SQLite has one
      // writer at a time, and two handles in one thread would wait on each other's lock: one after the other.
      const [mine, theirs] =
        store.dialect === 'postgres'
          ? await Promise.all([
              store.inventory.recordContacts(batch),
              other.inventory.recordContacts(reversed),
            ])
          : [await store.inventory.recordContacts(batch), await other.inventory.recordContacts(reversed)];
      expect((await store.inventory.list({ limit: 100 })).total).toBe(2000);
      for (const [i, result] of mine.entries()) {
        expect(result.machine.id).toBe(theirs[batch.length - 1 - i]?.machine.id);
        expect(result.machine.macs).toEqual([batch[i]?.mac]);
      }
      // Each MAC enrolled by exactly one of the two.
      for (const [i, result] of mine.entries()) {
        expect(Number(result.created) + Number(theirs[batch.length - 1 - i]?.created)).toBe(1);
      }
    });

    it('records a batch of contacts as one contact at a time would, in order', async () => {
      const one = await fresh(harness);
      const many = await fresh(harness);
      const known = [{ mac: mac(1), arch: 7 }];
      const batch = [
        { mac: mac(2), uuid: uuid(2), arch: 7, vendorClass: 'PXEClient:Arch:00007:UNDI:003016' }, // new
        { mac: mac(1), vendorClass: 'iPXE', arch: 0 }, // known: learns the vendor class, keeps arch 7
        { mac: mac(3) }, // new, says nothing
        { mac: mac(2), hostname: 'web-2' }, // enrolled earlier in this batch: learns the hostname
        { mac: mac(1), vendorClass: 'iPXE' }, // nothing new
      ];
      for (const c of known) await one.store.inventory.recordContact(c);
      await many.store.inventory.recordContacts(known);
      const expected = [];
      for (const c of batch) expected.push(await one.store.inventory.recordContact(c));
      const results = await many.store.inventory.recordContacts(batch);
      // Ids are random: compare each result with its machine's id left out, and the ids by which results share one.
      const view = (rs: readonly { machine: { id: string }; created: boolean }[]) =>
        rs.map(({ machine: { id, ...rest }, created }) => ({
          created,
          rest,
          same: rs.findIndex((r) => r.machine.id === id),
        }));
      expect(view(results)).toEqual(view(expected));
      expect(results.map((r) => r.created)).toEqual([true, false, true, false, false]);
      expect((await many.store.inventory.list()).total).toBe(3);
      expect(await many.store.inventory.recordContacts([])).toEqual([]);
    });

    it('refuses a batch with an invalid contact before writing any of it', async () => {
      const { store } = await fresh(harness);
      await expect(
        store.inventory.recordContacts([{ mac: mac(1) }, { mac: 'not a mac' as Mac }]),
      ).rejects.toBeInstanceOf(InvalidInputError);
      expect((await store.inventory.list()).total).toBe(0);
    });

    it('trusts typed lookup keys: one not in canonical form matches nothing and throws nothing', async () => {
      // Design §8.5: MACs and UUIDs are parsed at the edge; the store neither re-parses nor re-spells them.
      const { store } = await fresh(harness);
      const { machine } = await store.inventory.recordContact({ mac: mac(0xabcdef), uuid: uuid(0xabc) });
      expect(await store.inventory.getByMac(mac(0xabcdef))).toEqual(machine);
      for (const spelling of ['52:54:00:AB:CD:EF', '52-54-00-ab-cd-ef', '525400abcdef', 'not a mac']) {
        expect(await store.inventory.getByMac(spelling as Mac), spelling).toBeUndefined();
      }
      expect(await store.inventory.findByUuid(uuid(0xabc))).toEqual([machine]);
      for (const spelling of [uuid(0xabc).toUpperCase(), 'not a uuid']) {
        expect(await store.inventory.findByUuid(spelling as Uuid), spelling).toEqual([]);
      }
      expect(await store.inventory.get('not an id' as MachineId)).toBeUndefined();
      expect(await store.events.list({ mac: 'not a mac' as Mac })).toEqual([]);
      expect(await store.events.list({ machineId: 'not an id' as MachineId })).toEqual([]);
    });

    it('refuses typed values that are not canonical on write rather than re-spelling them', async () => {
      const { store } = await fresh(harness);
      const sloppy = 'AA-BB-CC-00-11-22' as Mac;
      await expect(store.inventory.recordContact({ mac: sloppy })).rejects.toThrow(InvalidInputError);
      await expect(
        store.inventory.recordContact({ mac: mac(1), uuid: uuid(1).toUpperCase() as Uuid }),
      ).rejects.toThrow(InvalidInputError);
      const { machine } = await store.inventory.recordContact({ mac: mac(1) });
      for (const patch of [
        { macs: [mac(1), sloppy] },
        { reservedIp: ' 192.0.2.5' as Ipv4 },
        { uuid: 'x' as Uuid },
      ]) {
        await expect(store.inventory.update(machine.id, patch, { version: 1 })).rejects.toThrow(
          InvalidInputError,
        );
      }
      await expect(
        store.events.append({ mac: sloppy, source: 'dhcp', kind: 'DHCPDISCOVER' }),
      ).rejects.toThrow(InvalidInputError);
      expect(await store.inventory.get(machine.id)).toEqual(machine);
    });

    it('refuses contacts it could not store faithfully', async () => {
      const { store } = await fresh(harness);
      await expect(store.inventory.recordContact({ mac: 'zz' as Mac })).rejects.toThrow(InvalidInputError);
      await expect(store.inventory.recordContact({ mac: mac(1), arch: 70_000 })).rejects.toThrow(
        InvalidInputError,
      );
      await expect(store.inventory.recordContact({ mac: mac(1), hostname: 'a\u0000b' })).rejects.toThrow(
        InvalidInputError,
      );
      await expect(store.inventory.recordContact({ mac: mac(1), vendorClass: '\ud800' })).rejects.toThrow(
        InvalidInputError,
      );
      expect((await store.inventory.list()).total).toBe(0);
    });
  });

  describe('inventory: lookups', () => {
    it('finds machines by id, by UUID (all that share it, oldest first) and by install token', async () => {
      const { store, clock } = await fresh(harness);
      const a = (await store.inventory.recordContact({ mac: mac(1), uuid: uuid(5) })).machine;
      clock.advance(1);
      const b = (await store.inventory.recordContact({ mac: mac(2), uuid: uuid(5) })).machine;
      await store.inventory.recordContact({ mac: mac(3), uuid: uuid(6) });
      expect((await store.inventory.findByUuid(uuid(5))).map((m) => m.id)).toEqual([a.id, b.id]);
      expect(await store.inventory.findByUuid(uuid(7))).toEqual([]);
      expect(await store.inventory.get(MISSING)).toBeUndefined();

      const marked = await store.inventory.update(
        b.id,
        { state: 'queued', installMark: mark('feedbeef', clock.now()) },
        { version: b.version },
      );
      expect(await store.inventory.getByInstallToken('feedbeef')).toEqual(marked);
      expect(await store.inventory.getByInstallToken('deadbeef')).toBeUndefined();
    });
  });

  describe('inventory: optimistic updates', () => {
    it('applies an update whose expectation holds and bumps the version', async () => {
      const { store, clock } = await fresh(harness);
      const m = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      clock.advance(5000);
      const updated = await store.inventory.update(
        m.id,
        { hostname: 'db-1', profile: 'debian-12', reservedIp: ip('192.0.2.50'), state: 'ready' },
        { version: 1, state: 'discovered' },
      );
      expect(updated).toEqual({
        ...m,
        hostname: 'db-1',
        profile: 'debian-12',
        reservedIp: '192.0.2.50',
        state: 'ready',
        version: 2,
        updatedAt: m.createdAt + 5000,
      });
      const cleared = await store.inventory.update(
        m.id,
        { hostname: null, reservedIp: null },
        { version: 2 },
      );
      expect(cleared).toMatchObject({ hostname: null, reservedIp: null, profile: 'debian-12', version: 3 });
    });

    it('refuses a stale version or state with MachineConflictError and writes nothing', async () => {
      const { store } = await fresh(harness);
      const m = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      await store.inventory.update(m.id, { hostname: 'first' }, { version: 1 });
      const stale = store.inventory.update(m.id, { hostname: 'second' }, { version: 1 });
      await expect(stale).rejects.toThrow(MachineConflictError);
      await expect(stale).rejects.toMatchObject({
        code: 'FLEETBOOT_MACHINE_CONFLICT',
        expected: { version: 1 },
        actual: { version: 2, state: 'discovered' },
      });
      await expect(store.inventory.update(m.id, { hostname: 'third' }, { state: 'ready' })).rejects.toThrow(
        MachineConflictError,
      );
      expect((await store.inventory.get(m.id))?.hostname).toBe('first');
      await expect(store.inventory.update(MISSING, { hostname: 'x' }, { version: 1 })).rejects.toThrow(
        MachineNotFoundError,
      );
      await expect(store.inventory.update(m.id, { hostname: 'x' }, {})).rejects.toThrow(InvalidInputError);
    });

    it('lets exactly one of two racing updates with the same expectation win', async () => {
      const { store } = await fresh(harness);
      const m = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      const { ok, failed } = await settle(
        ['a', 'b', 'c', 'd'].map((name) => store.inventory.update(m.id, { hostname: name }, { version: 1 })),
      );
      expect(ok).toHaveLength(1);
      expect(failed).toHaveLength(3);
      for (const error of failed) expect(error).toBeInstanceOf(MachineConflictError);
      expect((await store.inventory.get(m.id))?.hostname).toBe(ok[0]?.hostname);
    });

    it('keeps an install mark exactly while queued or installing, with a token unique across machines', async () => {
      const { store, clock } = await fresh(harness);
      const a = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      const b = (await store.inventory.recordContact({ mac: mac(2) })).machine;
      const queued = await store.inventory.update(
        a.id,
        { state: 'queued', installMark: mark('token-a', clock.now()) },
        { state: 'discovered' },
      );
      expect(queued.installMark).toEqual(mark('token-a', clock.now()));
      // Catalogue S07: no queued machine without a mark, no mark on a machine that is not being installed.
      await expect(store.inventory.update(b.id, { state: 'queued' }, { version: 1 })).rejects.toThrow(
        InvalidInputError,
      );
      await expect(
        store.inventory.update(b.id, { installMark: mark('token-b', clock.now()) }, { version: 1 }),
      ).rejects.toThrow(InvalidInputError);
      await expect(
        store.inventory.update(
          b.id,
          { state: 'queued', installMark: mark('token-a', clock.now()) },
          { version: 1 },
        ),
      ).rejects.toMatchObject({ name: 'DuplicateValueError', field: 'installToken' });
      const installed = await store.inventory.update(
        a.id,
        { state: 'installed', installMark: null },
        { state: 'queued' },
      );
      expect(installed.installMark).toBeNull();
      expect(await store.inventory.getByInstallToken('token-a')).toBeUndefined();
      expect(await store.inventory.get(b.id)).toEqual(b);
    });

    it('keeps reserved IPs and MACs unique across machines', async () => {
      const { store } = await fresh(harness);
      const a = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      const b = (await store.inventory.recordContact({ mac: mac(2) })).machine;
      await store.inventory.update(a.id, { reservedIp: ip('192.0.2.10') }, { version: 1 });
      await expect(
        store.inventory.update(b.id, { reservedIp: ip('192.0.2.10') }, { version: 1 }),
      ).rejects.toMatchObject({ name: 'DuplicateValueError', field: 'reservedIp', value: '192.0.2.10' });

      const twoNics = await store.inventory.update(b.id, { macs: [mac(2), mac(3)] }, { version: 1 });
      expect(twoNics.macs).toEqual([mac(2), mac(3)]);
      expect((await store.inventory.getByMac(mac(3)))?.id).toBe(b.id);
      const taken = store.inventory.update(b.id, { macs: [mac(3), mac(1)] }, { version: 2 });
      await expect(taken).rejects.toThrow(DuplicateValueError);
      await expect(taken).rejects.toMatchObject({ field: 'mac', value: mac(1) });
      expect((await store.inventory.get(b.id))?.macs).toEqual([mac(2), mac(3)]);
      await expect(store.inventory.update(b.id, { macs: [] }, { version: 2 })).rejects.toThrow(
        InvalidInputError,
      );
      await expect(store.inventory.update(b.id, { macs: [mac(4), mac(4)] }, { version: 2 })).rejects.toThrow(
        InvalidInputError,
      );
    });

    it('replaces labels, with optional expectations', async () => {
      const { store } = await fresh(harness);
      const m = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      const labelled = await store.inventory.setLabels(m.id, { rack: 'r12', role: 'db', empty: '' });
      expect(labelled).toMatchObject({ labels: { empty: '', rack: 'r12', role: 'db' }, version: 2 });
      const replaced = await store.inventory.setLabels(m.id, { rack: 'r13' }, { version: 2 });
      expect(replaced.labels).toEqual({ rack: 'r13' });
      await expect(store.inventory.setLabels(m.id, {}, { version: 2 })).rejects.toThrow(MachineConflictError);
      await expect(store.inventory.setLabels(m.id, { '': 'x' })).rejects.toThrow(InvalidInputError);
      await expect(store.inventory.setLabels(m.id, { rack: 5 } as never)).rejects.toThrow(InvalidInputError);
      await expect(store.inventory.setLabels(MISSING, { a: 'b' })).rejects.toThrow(MachineNotFoundError);
      expect((await store.inventory.setLabels(m.id, {})).labels).toEqual({});
    });

    it('forgets a machine with its interfaces and labels, but keeps its events', async () => {
      const { store } = await fresh(harness);
      const m = (await store.inventory.recordContact({ mac: mac(1) })).machine;
      await store.inventory.setLabels(m.id, { rack: 'r1' });
      await store.events.append({ machineId: m.id, mac: mac(1), source: 'dhcp', kind: 'DHCPDISCOVER' });
      await expect(store.inventory.forget(m.id, { version: 1 })).rejects.toThrow(MachineConflictError);
      expect(await store.inventory.forget(m.id, { version: 2 })).toBe(true);
      expect(await store.inventory.get(m.id)).toBeUndefined();
      expect(await store.inventory.getByMac(mac(1))).toBeUndefined();
      expect(await store.inventory.forget(m.id)).toBe(false);
      expect((await store.inventory.list({ filter: { labels: { rack: 'r1' } } })).total).toBe(0);
      expect(await store.events.list({ mac: mac(1) })).toHaveLength(1);
      // The MAC is free again: the next contact enrols a new machine.
      const again = await store.inventory.recordContact({ mac: mac(1) });
      expect(again.created).toBe(true);
      expect(again.machine.id).not.toBe(m.id);
    });
  });
}
