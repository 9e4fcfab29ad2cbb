import { describe, expect, it } from 'vitest';
import { MACHINE_STATES, type Machine } from '../../../src/inventory/machine.js';
import { InvalidCursorError, InvalidInputError } from '../../../src/store/errors.js';
import type { MachineListQuery, MachineSort, Store } from '../../../src/store/types.js';
import { mac } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

const FLEET = 2000;

/** Every machine of a listing, page by page, checking that the pages fit together. */
async function walk(store: Store, query: MachineListQuery): Promise<Machine[]> {
  const all: Machine[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < FLEET; pages++) {
    const page = await store.inventory.list({ ...query, ...(cursor === undefined ? {} : { cursor }) });
    all.push(...page.items);
    if (page.nextCursor === null) return all;
    expect(page.items).toHaveLength(query.limit ?? 100);
    cursor = page.nextCursor;
  }
  throw new Error('paging did not end');
}

function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The order the store promises: by the sort key, then by id, both ways in the sort's direction. */
function sorted(machines: readonly Machine[], sort: MachineSort): Machine[] {
  const key = (m: Machine): number | string =>
    sort.by === 'hostname'
      ? (m.hostname ?? '')
      : sort.by === 'state'
        ? MACHINE_STATES.indexOf(m.state)
        : m[sort.by];
  const sign = sort.direction === 'asc' ? 1 : -1;
  return [...machines].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const byKey =
      typeof ka === 'number' && typeof kb === 'number' ? ka - kb : codeUnitOrder(String(ka), String(kb));
    return sign * (byKey !== 0 ? byKey : codeUnitOrder(a.id, b.id));
  });
}

const ids = (machines: readonly Machine[]) => machines.map((m) => m.id);

export function machineListConformance(harness: StoreHarness): void {
  describe('inventory: listing', () => {
    it(`filters, sorts and pages through ${FLEET} machines, every machine exactly once and in order`, async () => {
      const { store, clock } = await fresh(harness);
      // Ten machines per millisecond, so createdAt has ties and the id tie-break is exercised.
      for (let batch = 0; batch < FLEET / 10; batch++) {
        clock.advance(1);
        await Promise.all(
          Array.from({ length: 10 }, (_, j) => {
            const i = batch * 10 + j;
            // Every third has no hostname; the mix of cases checks that ordering is by code unit, not locale.
            const hostname =
              i % 3 === 0 ? null : `${i % 2 === 0 ? 'node' : 'Node'}-${String(i).padStart(4, '0')}`;
            return store.inventory.recordContact({ mac: mac(i), hostname, arch: i % 2 === 0 ? 0 : 7 });
          }),
        );
      }
      const byMac = new Map<string, Machine>();
      for (const m of (await walk(store, { limit: 1000 })).values()) byMac.set(m.macs[0] ?? '', m);
      // In batches: the pool (or SQLite's one connection) takes what it can at once.
      const machineAt = (i: number) => byMac.get(mac(i))!;
      for (let from = 0; from < FLEET; from += 200) {
        const batch = Array.from({ length: 200 }, (_, j) => from + j);
        await Promise.all(
          batch
            .filter((i) => i % 4 === 0)
            .map((i) => store.inventory.setLabels(machineAt(i).id, { rack: `r${i % 8}` })),
        );
        await Promise.all(
          batch
            .filter((i) => i % 5 === 0)
            .map(async (i) => {
              const m = (await store.inventory.get(machineAt(i).id))!;
              await store.inventory.update(
                m.id,
                { state: i % 10 === 0 ? 'ready' : 'failed' },
                { version: m.version },
              );
            }),
        );
      }
      const everything = await walk(store, { limit: 1000 });
      expect(everything).toHaveLength(FLEET);

      // Default: oldest first, 100 per page.
      const first = await store.inventory.list();
      expect(first.total).toBe(FLEET);
      expect(ids(first.items)).toEqual(
        ids(sorted(everything, { by: 'createdAt', direction: 'asc' }).slice(0, 100)),
      );

      for (const sort of [
        { by: 'createdAt', direction: 'asc' },
        { by: 'updatedAt', direction: 'desc' },
        { by: 'hostname', direction: 'asc' },
        { by: 'hostname', direction: 'desc' },
        { by: 'state', direction: 'asc' },
      ] as const) {
        const listed = await walk(store, { sort, limit: 333 });
        expect(ids(listed), `${sort.by} ${sort.direction}`).toEqual(ids(sorted(everything, sort)));
      }

      const readyInRack0 = everything.filter((m) => m.state === 'ready' && m.labels.rack === 'r0');
      const filter = { states: ['ready'], labels: { rack: 'r0' } } as const;
      const page = await store.inventory.list({ filter, limit: 10 });
      expect(page.total).toBe(readyInRack0.length);
      expect(readyInRack0.length).toBe(50); // i ≡ 0 (mod 40)
      expect(ids(await walk(store, { filter, limit: 10 }))).toEqual(
        ids(sorted(readyInRack0, { by: 'createdAt', direction: 'asc' })),
      );

      const states = everything.filter((m) => m.state === 'ready' || m.state === 'failed');
      expect((await store.inventory.list({ filter: { states: ['ready', 'failed'] } })).total).toBe(
        states.length,
      );
      expect((await store.inventory.list({ filter: { states: [] } })).total).toBe(0);

      // Counted per state in the store, with the list's filters: every state present, in lifecycle order.
      const countOf = (machines: readonly Machine[]) =>
        Object.fromEntries(MACHINE_STATES.map((s) => [s, machines.filter((m) => m.state === s).length]));
      expect(await store.inventory.countByState()).toEqual(countOf(everything));
      expect(Object.keys(await store.inventory.countByState())).toEqual([...MACHINE_STATES]);
      expect(await store.inventory.countByState({ labels: { rack: 'r0' } })).toEqual(
        countOf(everything.filter((m) => m.labels.rack === 'r0')),
      );
      expect(await store.inventory.countByState({ states: [] })).toEqual(countOf([]));

      // Text: case-insensitive substring of the hostname or a MAC.
      const text = everything.filter((m) => (m.hostname ?? '').toLowerCase().includes('node-01'));
      const byText = await walk(store, {
        filter: { text: 'NODE-01' },
        sort: { by: 'hostname', direction: 'desc' },
      });
      expect(ids(byText)).toEqual(ids(sorted(text, { by: 'hostname', direction: 'desc' })));
      const macHits = await store.inventory.list({ filter: { text: '00:07:' } });
      expect(macHits.total).toBe(everything.filter((m) => m.macs.some((x) => x.includes('00:07:'))).length);
      expect(macHits.total).toBe(208); // 52:54:00:00:07:00 … 52:54:00:00:07:cf
      expect((await store.inventory.list({ filter: { text: '%' } })).total).toBe(0);
      expect((await store.inventory.list({ filter: { text: 'node_0001' } })).total).toBe(0);

      // Keyset paging: a machine enrolled between two pages neither repeats nor shifts what follows.
      const p1 = await store.inventory.list({ limit: 500 });
      clock.advance(1);
      await store.inventory.recordContact({ mac: mac(FLEET) });
      const p2 = await store.inventory.list({ limit: 500, cursor: p1.nextCursor! });
      expect(ids(p2.items)).toEqual(
        ids(sorted(everything, { by: 'createdAt', direction: 'asc' }).slice(500, 1000)),
      );
    }, 180_000); // thousands of round trips, on a CI box whose two cores other suites share

    it('refuses malformed queries and cursors that belong to another sort', async () => {
      const { store } = await fresh(harness);
      for (let i = 0; i < 3; i++) await store.inventory.recordContact({ mac: mac(i) });
      const page = await store.inventory.list({ limit: 1 });
      expect(page.nextCursor).not.toBeNull();
      await expect(
        store.inventory.list({ cursor: page.nextCursor!, sort: { by: 'hostname', direction: 'asc' } }),
      ).rejects.toThrow(InvalidCursorError);
      await expect(store.inventory.list({ cursor: 'bm90IGEgY3Vyc29y' })).rejects.toThrow(InvalidCursorError);
      await expect(store.inventory.list({ cursor: '!!!' })).rejects.toThrow(InvalidCursorError);
      await expect(store.inventory.list({ limit: 0 })).rejects.toThrow(InvalidInputError);
      await expect(store.inventory.list({ limit: 1001 })).rejects.toThrow(InvalidInputError);
      await expect(store.inventory.list({ sort: { by: 'mac', direction: 'asc' } as never })).rejects.toThrow(
        InvalidInputError,
      );
      const last = await store.inventory.list({ limit: 2, cursor: page.nextCursor! });
      expect(last.items).toHaveLength(2);
      expect(last.nextCursor).toBeNull();
    });
  });
}
