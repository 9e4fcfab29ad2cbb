/**
 * Runs the exchanges of one client one after another, and refuses an exact duplicate of one that is still queued or
 * running (catalogue F08: the same REQUEST twice within a millisecond gives one answer and one lease; Kea drops
 * such in-flight duplicates, DHCP4_PACKET_DROP_0011/0012). Different clients run concurrently.
 */
export class ClientSerializer {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly pending = new Map<string, Map<string, number>>();

  /** Whether an exchange with this signature is queued or running for the client. */
  isPending(client: string, signature: string): boolean {
    return (this.pending.get(client)?.get(signature) ?? 0) > 0;
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
