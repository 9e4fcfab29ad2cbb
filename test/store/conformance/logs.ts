import { describe, expect, it } from 'vitest';
import type { MachineEvent } from '../../../src/inventory/event.js';
import type { MachineId } from '../../../src/inventory/machine.js';
import { InvalidInputError } from '../../../src/store/errors.js';
import { memoryLogger } from '../../support/logger.js';
import { mac } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

export function logConformance(harness: StoreHarness): void {
  describe('event log', () => {
    it('appends with increasing ids and reads a machine timeline, by MAC, by time and after an id', async () => {
      const { store, clock } = await fresh(harness);
      const t0 = clock.now();
      // Before enrolment, contact is known only by MAC.
      const discover = await store.events.append({
        mac: mac(1),
        source: 'dhcp',
        kind: 'DHCPDISCOVER',
        details: { xid: '0x1234abcd', arch: 7 },
      });
      clock.advance(10);
      const { machine } = await store.inventory.recordContact({ mac: mac(1) });
      const enrolled = await store.events.append({
        machineId: machine.id,
        mac: mac(1),
        source: 'lifecycle',
        kind: 'enrolled',
      });
      clock.advance(10);
      const other = await store.events.append({ mac: mac(2), source: 'dhcp', kind: 'DHCPDISCOVER' });
      const rrq = await store.events.append({
        machineId: machine.id,
        source: 'tftp',
        kind: 'TFTP RRQ',
        details: { file: 'ipxe.efi', blksize: 1468 },
        at: t0 + 15,
      });
      expect([discover, enrolled, other, rrq]).toEqual(
        [...[discover, enrolled, other, rrq]].sort((a, b) => a - b),
      );
      expect(new Set([discover, enrolled, other, rrq]).size).toBe(4);

      const timeline = await store.events.list({ machineId: machine.id });
      expect(timeline).toEqual<MachineEvent[]>([
        {
          id: discover,
          at: t0,
          machineId: null,
          mac: mac(1),
          source: 'dhcp',
          kind: 'DHCPDISCOVER',
          details: { xid: '0x1234abcd', arch: 7 },
        },
        {
          id: enrolled,
          at: t0 + 10,
          machineId: machine.id,
          mac: mac(1),
          source: 'lifecycle',
          kind: 'enrolled',
          details: {},
        },
        {
          id: rrq,
          at: t0 + 15,
          machineId: machine.id,
          mac: null,
          source: 'tftp',
          kind: 'TFTP RRQ',
          details: { file: 'ipxe.efi', blksize: 1468 },
        },
      ]);
      expect((await store.events.list({ mac: mac(2) })).map((e) => e.id)).toEqual([other]);
      expect((await store.events.list({ mac: mac(1) })).map((e) => e.id)).toEqual([discover, enrolled]);
      expect((await store.events.list()).map((e) => e.id)).toEqual([discover, enrolled, other, rrq]);
      expect((await store.events.list({ order: 'desc', limit: 2 })).map((e) => e.id)).toEqual([rrq, other]);
      expect((await store.events.list({ afterId: enrolled })).map((e) => e.id)).toEqual([other, rrq]);
      expect((await store.events.list({ beforeId: other, order: 'desc' })).map((e) => e.id)).toEqual([
        enrolled,
        discover,
      ]);
      expect((await store.events.list({ since: t0 + 10, until: t0 + 20 })).map((e) => e.id)).toEqual([
        enrolled,
        rrq,
      ]);
      expect((await store.events.list({ since: t0 + 10, until: t0 + 15 })).map((e) => e.id)).toEqual([
        enrolled,
      ]);
      expect(
        (await store.events.list({ machineId: machine.id, since: t0 + 1, limit: 1 })).map((e) => e.id),
      ).toEqual([enrolled]);
      expect(
        await store.events.list({ machineId: '00000000-0000-4000-8000-000000000000' as MachineId }),
      ).toEqual([]);
    });

    it('refuses events that would not load back as written', async () => {
      const { store } = await fresh(harness);
      const base = { mac: mac(1), source: 'dhcp', kind: 'DHCPDISCOVER' } as const;
      const refused: [string, unknown][] = [
        ['no subject', { source: 'dhcp', kind: 'x' }],
        ['unknown source', { ...base, source: 'smtp' }],
        ['empty kind', { ...base, kind: '' }],
        ['NaN', { ...base, details: { n: Number.NaN } }],
        ['Infinity', { ...base, details: { n: [Number.POSITIVE_INFINITY] } }],
        ['undefined member', { ...base, details: { u: undefined } }],
        ['Date', { ...base, details: { when: new Date(0) } }],
        ['bigint', { ...base, details: { n: 1n } }],
        ['array details', { ...base, details: [1, 2] }],
        ['sparse array', { ...base, details: { a: new Array<number>(3) } }],
        ['bad machine id', { ...base, machineId: 'web-1' }],
      ];
      for (const [why, event] of refused) {
        await expect(store.events.append(event as never), why).rejects.toThrow(InvalidInputError);
      }
      expect(await store.events.list()).toEqual([]);
      // -0 is the one value JSON cannot spell: it is written, and loads back, as 0.
      const id = await store.events.append({ ...base, details: { z: -0 } });
      expect(Object.is((await store.events.list())[0]?.details.z, 0)).toBe(true);
      expect(id).toBeGreaterThan(0);
      await expect(store.events.list({ limit: 0 })).rejects.toThrow(InvalidInputError);
      await expect(store.events.list({ limit: 1001 })).rejects.toThrow(InvalidInputError);
    });

    it('announces its own appends once they can be read, and stops when the listener is removed', async () => {
      const { store } = await fresh(harness);
      const seen: number[][] = [];
      const remove = store.onEventsAppended(() => {
        // Read at the moment of the announcement: the appended events must be visible already.
        void store.events.list().then((events) => seen.push(events.map((e) => e.id)));
      });
      const one = await store.events.append({ mac: mac(1), source: 'dhcp', kind: 'DHCPDISCOVER' });
      const many = await store.events.appendMany([
        { mac: mac(2), source: 'dhcp', kind: 'DHCPDISCOVER' },
        { mac: mac(3), source: 'dhcp', kind: 'DHCPDISCOVER' },
      ]);
      remove();
      await store.events.append({ mac: mac(4), source: 'dhcp', kind: 'DHCPDISCOVER' });
      await expect.poll(() => seen.length).toBe(2);
      expect(seen[0]).toContain(one);
      expect(seen[1]).toEqual(expect.arrayContaining([one, ...many]));
      await store.events.list();
      expect(seen).toHaveLength(2);
    });

    it('never lets a follower reading "after id" skip an event appended concurrently', async () => {
      const { store } = await fresh(harness);
      const appends = Array.from({ length: 200 }, (_, i) =>
        store.events.append({ mac: mac(i % 7), source: 'dhcp', kind: 'DHCPREQUEST', details: { i } }),
      );
      const seen: number[] = [];
      const progress = { done: false }; // an object: the appends set it while this loop awaits
      const all = Promise.all(appends).finally(() => {
        progress.done = true;
      });
      // Follow the log while it grows, as `fleetboot events --follow` will. Like any follower it lets the event
      // loop turn between reads: appends answered by the SQLite writer thread arrive as messages, which a loop of
      // reads resolved by microtasks alone would never let in.
      for (;;) {
        const finished = progress.done;
        await new Promise((resolve) => setImmediate(resolve));
        const batch = await store.events.list({ afterId: seen.at(-1) ?? 0, limit: 50 });
        seen.push(...batch.map((e) => e.id));
        if (finished && batch.length === 0) break;
      }
      const ids = await all;
      expect(seen).toEqual([...ids].sort((a, b) => a - b));
    });
  });

  describe('audit log', () => {
    it('appends entries and lists them by actor, action, target, outcome and time', async () => {
      const { store, clock } = await fresh(harness);
      const t0 = clock.now();
      const a = await store.audit.append({
        actor: 'alice',
        action: 'machine.mark',
        target: 'm-1',
        remoteAddress: '192.0.2.7',
        outcome: 'ok',
        details: { reason: 'reinstall', destructive: true },
      });
      clock.advance(5);
      const b = await store.audit.append({
        actor: 'anonymous',
        action: 'auth.login',
        target: '',
        remoteAddress: '2001:db8::1',
        outcome: 'denied',
      });
      clock.advance(5);
      const c = await store.audit.append({
        actor: 'alice',
        action: 'machine.unmark',
        target: 'm-1',
        outcome: 'error',
      });
      expect(await store.audit.list()).toEqual([
        {
          id: a,
          at: t0,
          actor: 'alice',
          action: 'machine.mark',
          target: 'm-1',
          remoteAddress: '192.0.2.7',
          outcome: 'ok',
          details: { reason: 'reinstall', destructive: true },
        },
        {
          id: b,
          at: t0 + 5,
          actor: 'anonymous',
          action: 'auth.login',
          target: '',
          remoteAddress: '2001:db8::1',
          outcome: 'denied',
          details: {},
        },
        {
          id: c,
          at: t0 + 10,
          actor: 'alice',
          action: 'machine.unmark',
          target: 'm-1',
          remoteAddress: null,
          outcome: 'error',
          details: {},
        },
      ]);
      const idsOf = async (q: Parameters<typeof store.audit.list>[0]) =>
        (await store.audit.list(q)).map((e) => e.id);
      expect(await idsOf({ actor: 'alice' })).toEqual([a, c]);
      expect(await idsOf({ target: 'm-1', order: 'desc' })).toEqual([c, a]);
      expect(await idsOf({ action: 'auth.login' })).toEqual([b]);
      expect(await idsOf({ outcome: 'denied' })).toEqual([b]);
      expect(await idsOf({ since: t0 + 5 })).toEqual([b, c]);
      expect(await idsOf({ afterId: a, limit: 1 })).toEqual([b]);
      await expect(
        store.audit.append({ actor: '', action: 'x', target: 'y', outcome: 'ok' }),
      ).rejects.toThrow(InvalidInputError);
      await expect(
        store.audit.append({ actor: 'a', action: 'x', target: 'y', outcome: 'maybe' as never }),
      ).rejects.toThrow(InvalidInputError);
    });

    describe('log rows that do not decode', () => {
      it('are left out and logged by kind of problem, never with what they hold (catalogue P2)', async () => {
        const { target, clock } = await fresh(harness);
        const { logger, lines } = memoryLogger();
        const store = await target.open({ logger, now: clock.now });
        const good = await store.events.append({ mac: mac(1), source: 'dhcp', kind: 'DHCPDISCOVER' });
        // A hand-written row whose details are not JSON, and happen to hold a secret.
        await target.execute(
          `insert into events (at, mac, source, kind, details) values (1, '52:54:00:00:00:01', 'http', 'x', 'password=hunter2')`,
        );
        expect((await store.events.list()).map((e) => e.id)).toEqual([good]);
        expect(lines()).toContainEqual(
          expect.objectContaining({
            level: 50,
            table: 'events',
            reason: 'invalid JSON details: expected valid JSON text',
            msg: 'skipped a malformed row',
          }),
        );
        expect(JSON.stringify(lines())).not.toContain('hunter2');
      });
    });
  });
}
