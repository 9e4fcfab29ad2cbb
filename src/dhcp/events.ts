import type { JsonObject } from '../inventory/json.js';
import type { MachineId } from '../inventory/machine.js';
import type { EpochMs } from '../inventory/time.js';
import type { Logger } from '../observability/logger.js';
import type { Contact, EventLog, InventoryStore } from '../store/types.js';
import type { Mac } from '../values/mac.js';

/** One DHCP message, received or sent, for the machine's timeline (design.md §1.6). */
export interface DhcpEventRecord {
  readonly at: EpochMs;
  readonly mac: Mac;
  /** `DHCPDISCOVER`, `DHCPOFFER`, …: the names Wireshark uses (design.md §8.2). */
  readonly kind: string;
  readonly details: JsonObject;
}

type Item =
  { readonly type: 'contact'; readonly contact: Contact } | ({ readonly type: 'event' } & DhcpEventRecord);

export interface EventRecorderOptions {
  readonly events: EventLog;
  readonly inventory: InventoryStore;
  readonly logger: Logger;
  /** Items waiting beyond this are dropped (and counted): events must never grow memory without bound. */
  readonly maxQueued?: number;
  /** Called with the number of items dropped because the queue was full or a write failed. */
  readonly onLost?: (count: number) => void;
}

const DEFAULT_MAX_QUEUED = 10_000;
const MAX_KNOWN_CONTACTS = 100_000;

/**
 * Writes DHCP events and inventory contacts behind the reply path. Decision: the engine queues them and returns
 * its reply; a drain scheduled with setImmediate, i.e. after the transport's continuation has sent the reply,
 * writes them in order, one at a time. So an event never adds a durable commit (an fsync with SQLite's
 * synchronous=FULL) to a client's wait, and the only write before a reply is the lease commit (catalogue P1).
 * Events are not the truth, leases are: when the store fails or the queue is full, events are dropped and counted
 * rather than retried or allowed to hold memory. A store method that appends many events in one transaction
 * would let a drain cost one fsync instead of one per event; EventLog has none yet.
 *
 * Contacts (`inventory.recordContact`: first contact enrols a `discovered` machine) are written once per MAC and
 * whenever the client says something new (a UUID, arch, vendor class or host name it had not sent), not per packet.
 */
export class EventRecorder {
  private queue: Item[] = [];
  private draining: Promise<void> | undefined;
  private readonly knownContacts = new Map<Mac, string>();
  private readonly machineIds = new Map<Mac, MachineId>();
  private readonly maxQueued: number;
  private overflowing = false;
  private failing = false;

  constructor(private readonly options: EventRecorderOptions) {
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  contact(contact: Contact): void {
    const signature = JSON.stringify([
      contact.uuid ?? null,
      contact.arch ?? null,
      contact.vendorClass ?? null,
      contact.hostname ?? null,
    ]);
    if (this.knownContacts.get(contact.mac) === signature) return;
    if (this.knownContacts.size >= MAX_KNOWN_CONTACTS) {
      this.knownContacts.clear();
      this.machineIds.clear();
    }
    this.knownContacts.set(contact.mac, signature);
    this.enqueue({ type: 'contact', contact });
  }

  event(record: DhcpEventRecord): void {
    this.enqueue({ type: 'event', ...record });
  }

  /** Resolves when everything queued so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  private enqueue(item: Item): void {
    if (this.queue.length >= this.maxQueued) {
      this.lost(1);
      if (!this.overflowing) {
        this.overflowing = true;
        this.options.logger.warn(
          { queued: this.queue.length },
          'DHCP event queue full: dropping events until the store catches up',
        );
      }
      return;
    }
    this.queue.push(item);
    this.draining ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        void this.drain().finally(() => {
          this.draining = undefined;
          resolve();
        });
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      this.overflowing = false;
      for (const item of batch) {
        await this.write(item);
        // better-sqlite3 writes synchronously, and awaiting one write after another only chains microtasks: without
        // this, a drain of N events would hold the event loop for N fsyncs while DHCP datagrams wait. Yielding to
        // the event loop between writes lets every queued datagram be handled first.
        await new Promise<void>((resolve) => {
          setImmediate(resolve);
        });
      }
    }
  }

  private async write(item: Item): Promise<void> {
    try {
      if (item.type === 'contact') {
        const { machine } = await this.options.inventory.recordContact(item.contact);
        this.machineIds.set(item.contact.mac, machine.id);
      } else {
        await this.options.events.append({
          at: item.at,
          mac: item.mac,
          machineId: this.machineIds.get(item.mac) ?? null,
          source: 'dhcp',
          kind: item.kind,
          details: item.details,
        });
      }
      this.failing = false;
    } catch (error) {
      if (item.type === 'contact') this.knownContacts.delete(item.contact.mac); // try again next time
      this.lost(1);
      // One line per outage, not one per event.
      if (!this.failing) this.options.logger.warn({ err: error }, 'could not record DHCP events');
      this.failing = true;
    }
  }

  private lost(count: number): void {
    this.options.onLost?.(count);
  }
}
