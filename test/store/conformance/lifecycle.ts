import { describe, expect, it } from 'vitest';
import { clientIdFromMac } from '../../../src/inventory/lease.js';
import { StoreQueryError } from '../../../src/store/errors.js';
import { migrations } from '../../../src/store/migrations/index.js';
import { lease, mac, SUBNET } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

export function lifecycleConformance(harness: StoreHarness): void {
  describe('migrations and restarts', () => {
    it('migrates once; later runs, also from a second store on the same database, change nothing', async () => {
      const { target, store } = await fresh(harness); // fresh() ran the first migrate
      expect(await store.migrate()).toEqual([]);
      const second = await target.open();
      expect(await second.migrate()).toEqual([]);
      const untouched = await target.open();
      await untouched.close();
      await second.close();
      await store.close();
      await store.close(); // idempotent

      // Two servers starting at once: one applies the schema, the other waits for it and finds nothing to do.
      // Neither may fail: a server that cannot migrate refuses to start.
      const other = await harness();
      const concurrent = await Promise.all([other.open(), other.open()]);
      const applied = await Promise.all(concurrent.map((s) => s.migrate()));
      const all = Object.keys(migrations(other.dialect));
      expect([...applied].sort((a, b) => b.length - a.length)).toEqual([all, []]);
    });

    it('answers ping() and reports itself up', async () => {
      const { store } = await fresh(harness);
      await store.ping();
      expect(store.health()).toBe('up');
    });

    it('reports an unexpected database error as StoreQueryError, without calling the store down', async () => {
      const { target, store } = await fresh(harness);
      const changes: string[] = [];
      store.onHealthChange((health) => changes.push(health));
      await target.execute('drop table audit_log'); // a hand edit gone wrong
      const list = store.audit.list();
      await expect(list).rejects.toThrow(StoreQueryError);
      await expect(list).rejects.toMatchObject({ code: 'FLEETBOOT_STORE_QUERY' });
      expect(store.health()).toBe('up');
      expect(changes).toEqual([]);
    });

    it('keeps machines, leases, events and audit entries across close and reopen (catalogue I2)', async () => {
      const { target, store, clock } = await fresh(harness);
      const { machine } = await store.inventory.recordContact({ mac: mac(1), arch: 7 });
      const labelled = await store.inventory.setLabels(machine.id, { rack: 'r1' });
      const bound = await store.leases.commit(lease(1, '192.0.2.10', clock.now() + 3_600_000));
      const eventId = await store.events.append({
        machineId: machine.id,
        source: 'dhcp',
        kind: 'DHCPACK',
        details: { a: [1, { b: null }] },
      });
      await store.audit.append({
        actor: 'alice',
        action: 'machine.label',
        target: machine.id,
        outcome: 'ok',
      });
      const before = {
        machines: await store.inventory.list(),
        leases: await store.leases.listBySubnet(SUBNET),
        events: await store.events.list(),
        audit: await store.audit.list(),
      };
      await store.close();

      const reopened = await target.open({ now: clock.now });
      expect(await reopened.migrate()).toEqual([]);
      expect(await reopened.inventory.get(machine.id)).toEqual(labelled);
      expect(await reopened.leases.findByClient(SUBNET, clientIdFromMac(mac(1)))).toEqual(bound);
      expect({
        machines: await reopened.inventory.list(),
        leases: await reopened.leases.listBySubnet(SUBNET),
        events: await reopened.events.list(),
        audit: await reopened.audit.list(),
      }).toEqual(before);
      // Ids keep growing after a restart: followers resuming "after id" see the new events.
      expect(
        await reopened.events.append({ mac: mac(1), source: 'dhcp', kind: 'DHCPREQUEST' }),
      ).toBeGreaterThan(eventId);
    });
  });
}
