// The store conformance suite (design.md §5): one set of tests, run against every dialect by
// sqlite.test.ts and postgres.test.ts, so the two stores cannot drift apart.
import type { StoreHarness } from './harness.js';
import { batchConformance } from './conformance/batches.js';
import { captureConformance } from './conformance/captures.js';
import { consistencyConformance } from './conformance/consistency.js';
import { inventoryConformance } from './conformance/inventory.js';
import { lifecycleConformance } from './conformance/lifecycle.js';
import { leaseConformance } from './conformance/leases.js';
import { logConformance } from './conformance/logs.js';
import { machineListConformance } from './conformance/machine-list.js';
import { roundTripConformance } from './conformance/round-trip.js';
import { schemaConformance } from './conformance/schema.js';
import { tokenConformance } from './conformance/tokens.js';

export type { StoreHarness, StoreTarget } from './harness.js';

export function storeConformance(harness: StoreHarness): void {
  lifecycleConformance(harness);
  schemaConformance(harness);
  inventoryConformance(harness);
  consistencyConformance(harness);
  machineListConformance(harness);
  leaseConformance(harness);
  batchConformance(harness);
  logConformance(harness);
  roundTripConformance(harness);
  tokenConformance(harness);
  captureConformance(harness);
}
