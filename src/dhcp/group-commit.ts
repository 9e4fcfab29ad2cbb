import type { Lease } from '../inventory/lease.js';
import type { LeaseStore } from '../store/types.js';

/** Leases per transaction at most: bounds how long one commit holds the database and how much one failure costs. */
export const DEFAULT_MAX_COMMIT_BATCH = 256;

interface Waiting {
  readonly lease: Lease;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit (reliability-catalogue L01): lease commits that queue up while one transaction is being made durable
 * go to the store together in the next one, so N REQUESTs cost one fsync instead of N. There is no timer: a batch
 * is whatever accumulated while the previous commit ran, so a lone client waits for nothing but its own commit.
 *
 * Before each batch the loop yields one event-loop turn (setImmediate). With PostgreSQL that is barely needed, as
 * datagrams are handled while the commit is on the wire; with better-sqlite3 the commit blocks the thread, the
 * datagrams that arrived meanwhile wait in the socket, and only that turn lets the transport read them and queue
 * their commits. Without it every batch would hold one lease.
 *
 * Each caller's promise settles with its own lease's outcome, and only once the batch's transaction committed
 * (catalogue P1: the ACK is built after this resolves). A conflict rejects that caller alone with the store's
 * LeaseConflictError; a failed transaction rejects every caller of the batch, so none of them is ACKed.
 */
export class GroupCommit {
  private queue: Waiting[] = [];
  private running = false;

  constructor(
    private readonly store: LeaseStore,
    private readonly maxBatch: number = DEFAULT_MAX_COMMIT_BATCH,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new RangeError(`commit batch size must be a positive integer, not ${maxBatch}`);
    }
  }

  /** Resolves with the lease as stored, or rejects as LeaseStore.commit would for this lease. */
  commit(lease: Lease): Promise<Lease> {
    return new Promise<Lease>((resolve, reject) => {
      this.queue.push({ lease, resolve, reject });
      if (!this.running) {
        this.running = true;
        void this.run();
      }
    });
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        await nextTurn();
        await this.commitBatch(this.queue.splice(0, this.maxBatch));
      }
    } finally {
      // Synchronously after the emptiness check: a commit() queued after this starts a new loop.
      this.running = false;
    }
  }

  private async commitBatch(batch: readonly Waiting[]): Promise<void> {
    let results;
    try {
      results = await this.store.commitMany(batch.map((waiting) => waiting.lease));
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    for (const [i, waiting] of batch.entries()) {
      const result = results[i];
      if (result === undefined) waiting.reject(new Error('the store returned fewer results than leases'));
      else if (result.ok) waiting.resolve(result.lease);
      else waiting.reject(result.error);
    }
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}
