/**
 * Runs the exchanges of one client one after another, and refuses an exact duplicate of one that is still queued or
 * running (catalogue F08: the same REQUEST twice within a millisecond gives one answer and one lease; Kea drops
 * such in-flight duplicates, DHCP4_PACKET_DROP_0011/0012). Different clients run concurrently.
 */
/**
 * Exchanges of one client queued or running at once, at most. A client has one exchange outstanding at a time
 * (RFC 2131 §4.1: it retransmits with the same xid, caught as a duplicate); a DISCOVER still running when its
 * REQUEST comes, or a client that restarts with a new xid, makes two or three. Without a bound, one host sending
 * a stream of new xids under one MAC could hold every slot of the listener's in-flight cap (dhcp-intake.ts).
 */
export const MAX_QUEUED_PER_CLIENT = 4;

export class ClientSerializer {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Map<string, number>>();

  /**
   * Why an exchange with this signature is not to be run now, if it is not: `duplicate`, the same one is queued or
   * running (F08); `client-busy`, the client has MAX_QUEUED_PER_CLIENT exchanges queued or running.
   */
  refusal(client: string, signature: string): 'duplicate' | 'client-busy' | undefined {
    const counts = this.pending.get(client);
    if (counts === undefined) return undefined;
    if ((counts.get(signature) ?? 0) > 0) return 'duplicate';
    let queued = 0;
    for (const count of counts.values()) queued += count;
    return queued >= MAX_QUEUED_PER_CLIENT ? 'client-busy' : undefined;
  }

  /** Runs `work` once every earlier exchange of `client` has finished. */
  async run<T>(client: string, signature: string, work: () => Promise<T>): Promise<T> {
    this.mark(client, signature, 1);
    const previous = this.tails.get(client) ?? Promise.resolve();
    const result = previous.then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(client, tail);
    try {
      return await result;
    } finally {
      this.mark(client, signature, -1);
      if (this.tails.get(client) === tail) this.tails.delete(client);
    }
  }

  /** Clients with work queued or running. */
  get size(): number {
    return this.tails.size;
  }

  private mark(client: string, signature: string, delta: number): void {
    const counts = this.pending.get(client) ?? new Map<string, number>();
    const next = (counts.get(signature) ?? 0) + delta;
    if (next > 0) counts.set(signature, next);
    else counts.delete(signature);
    if (counts.size > 0) this.pending.set(client, counts);
    else this.pending.delete(client);
  }
}
