import type { Store } from '../../../src/store/types.js';
import { type ManualClock, manualClock, type StoreHarness, type StoreTarget } from '../harness.js';

export interface Fresh {
  readonly target: StoreTarget;
  readonly store: Store;
  readonly clock: ManualClock;
}

/** A migrated store on an empty database, with a manual clock. */
export async function fresh(harness: StoreHarness): Promise<Fresh> {
  const clock = manualClock();
  const target = await harness();
  const store = await target.open({ now: clock.now });
  await store.migrate();
  return { target, store, clock };
}
