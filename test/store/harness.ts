// What the conformance suite needs from a dialect: fresh databases, opened (and reopened) through openStore.
import type { Logger } from '../../src/observability/logger.js';
import type { Store, StoreDialect } from '../../src/store/types.js';

export interface StoreTarget {
  readonly dialect: StoreDialect;
  /** Opens a store on this target's database; again after close() to test what survives a restart. */
  open(options?: { readonly logger?: Logger; readonly now?: () => number }): Promise<Store>;
  /** Runs SQL on the same database behind the store's back (tables are unqualified), to plant bad rows. */
  execute(statement: string): Promise<void>;
  /** Runs a query behind the store's back, e.g. on the catalog. */
  query(statement: string, parameters?: readonly unknown[]): Promise<Record<string, unknown>[]>;
}

/**
 * Creates an empty database for one test. The harness closes the stores it opened and removes the database
 * when the test finishes.
 */
export type StoreHarness = () => Promise<StoreTarget>;

/** A wall clock that moves only when told, so times in assertions are exact. */
export interface ManualClock {
  readonly now: () => number;
  advance(ms: number): void;
}

export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}
