// A machine is one row with its interfaces and labels. Every read must see all three as of one instant: a read
// racing a forget or an update sees the machine before, after, or not at all, never a mix (a machine without
// interfaces, or version N with the MACs of version N+1), and never fails for it. The loops are bounded; each
// round starts the calls in a different order, since which one wins decides what a torn read would look like.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../../src/inventory/machine.js';
import type { Store } from '../../../src/store/types.js';
import { memoryLogger } from '../../support/logger.js';
import { mac } from '../fixtures.js';
import type { StoreHarness } from '../harness.js';
import type { Fresh } from './setup.js';
import { fresh } from './setup.js';

const ROUNDS = 24;

/** A machine with two interfaces and a label, as the API would have left it. */
async function enrolled(store: Store, round: number): Promise<Machine> {
  const { machine } = await store.inventory.recordContact({ mac: mac(4 * round) });
  const twoNics = await store.inventory.update(
    machine.id,
    { macs: [mac(4 * round), mac(4 * round + 1)], hostname: `node-${round}` },
    { version: machine.version },
  );
  return store.inventory.setLabels(twoNics.id, { rack: `r${round}` }, { version: twoNics.version });
}

/** Runs the calls concurrently, started in an order that rotates with the round. */
function rotated<T>(round: number, calls: readonly (() => Promise<T>)[]): Promise<T[]> {
  const order = calls.map((_, i) => (i + round) % calls.length);
  const started = new Array<Promise<T>>(calls.length);
  for (const i of order) started[i] = calls[i]!();
  return Promise.all(started);
}

async function withLog(harness: StoreHarness): Promise<Fresh & { errors: () => unknown[] }> {
  const { target, clock } = await fresh(harness);
  const { logger, lines } = memoryLogger();
  const store = await target.open({ logger, now: clock.now });
  return { target, store, clock, errors: () => lines().filter((line) => line.level === 50) };
}

export function consistencyConformance(harness: StoreHarness): void {
  describe('inventory: consistent reads', () => {
    it('reads racing forget() see the whole machine or nothing, and never fail', async () => {
      const { store, errors } = await withLog(harness);
      for (let round = 0; round < ROUNDS; round++) {
        const machine = await enrolled(store, round);
        const [byId, byMac, page, forgotten] = await rotated<unknown>(round, [
          () => store.inventory.get(machine.id),
          () => store.inventory.getByMac(mac(4 * round + 1)),
          () => store.inventory.list(),
          () => store.inventory.forget(machine.id),
        ]);
        expect(forgotten).toBe(true);
        for (const read of [byId, byMac]) expect([machine, undefined]).toContainEqual(read);
        // The page and its total are one snapshot: the machine is in both or in neither.
        expect([
          { items: [machine], nextCursor: null, total: 1 },
          { items: [], nextCursor: null, total: 0 },
        ]).toContainEqual(page);
      }
      expect(errors()).toEqual([]);
    });

    it('reads racing update() see the machine before or after it, never a mix', async () => {
      const { store, errors } = await withLog(harness);
      for (let round = 0; round < ROUNDS; round++) {
        const before = await enrolled(store, round);
        const [byId, byOldMac, byNewMac, after] = await rotated<Machine | undefined>(round, [
          () => store.inventory.get(before.id),
          () => store.inventory.getByMac(mac(4 * round + 1)),
          () => store.inventory.getByMac(mac(4 * round + 2)),
          () =>
            store.inventory.update(
              before.id,
              { macs: [mac(4 * round + 2), mac(4 * round + 3)], hostname: `renamed-${round}` },
              { version: before.version },
            ),
        ]);
        expect(after).toMatchObject({
          version: before.version + 1,
          macs: [mac(4 * round + 2), mac(4 * round + 3)],
        });
        expect([before, after]).toContainEqual(byId);
        expect([before, undefined]).toContainEqual(byOldMac);
        expect([after, undefined]).toContainEqual(byNewMac);
      }
      expect(errors()).toEqual([]);
    });

    it('a contact racing forget() either updates the machine or enrols it again, and never fails', async () => {
      const { store, errors } = await withLog(harness);
      for (let round = 0; round < ROUNDS; round++) {
        const machine = await enrolled(store, round);
        const [contact] = await rotated<unknown>(round, [
          () => store.inventory.recordContact({ mac: mac(4 * round + 1), arch: 7 }),
          () => store.inventory.forget(machine.id),
        ]);
        const { machine: seen, created } = contact as { machine: Machine; created: boolean };
        if (created) expect(seen).toMatchObject({ macs: [mac(4 * round + 1)], version: 1, arch: 7 });
        else expect(seen).toEqual({ ...machine, arch: 7, version: machine.version + 1 });
        expect(await store.inventory.getByMac(mac(4 * round + 1))).toEqual(created ? seen : undefined);
      }
      expect(errors()).toEqual([]);
    });
  });
}
