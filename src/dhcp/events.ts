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

type EventItem = { readonly type: 'event' } & DhcpEventRecord;
type Item = { readonly type: 'contact'; readonly contact: Contact } | EventItem;

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
/** Events per appendMany at most: bounds one transaction, and what one failed write loses. */
const MAX_EVENT_BATCH = 1_000;
/**
 * Contacts per recordContacts at most: a rack's worth of new machines is one transaction, yet a lease commit queued
 * behind it (on SQLite's single writer) waits for a bounded one.
 */
const MAX_CONTACT_BATCH = 64;
const MAX_KNOWN_CONTACTS = 100_000;

/**
 * Writes DHCP events and inventory contacts behind the reply path. Decision: the engine queues them and returns
 * its reply; a drain scheduled with setImmediate, i.e. after the transport's continuation has sent the reply,
 * writes what has queued up: the contacts in one recordContacts, then the events in order in one appendMany, so
 * a batch costs two durable commits (an fsync with SQLite's synchronous=FULL) rather than one per event, and keeps up with
 * the lease commits. An event never adds a commit to a client's wait: the only write before a reply is the lease
 * commit (catalogue P1). Events are not the truth, leases are: when the store fails or the queue is full, events
 * are dropped and counted rather than retried or allowed to hold memory.
 *
 * Contacts (`inventory.recordContacts`: first contact enrols a `discovered` machine) are written once per MAC and
 * whenever the client says something new (a UUID, arch, vendor class or host name it had not sent), not per packet.
 */
export class EventRecorder {
  private queue: Item[] = [];
  private draining: Promise<void> | undefined;
  private readonly knownContacts = new Map<Mac, ContactDetails>();
  private readonly machineIds = new Map<Mac, MachineId>();
  private readonly maxQueued: number;
  private overflowing = false;
  private failing = false;

  constructor(private readonly options: EventRecorderOptions) {
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
  }

  contact(contact: Contact): void {
    const known = this.knownContacts.get(contact.mac);
    // Compared field by field: this runs for every DHCP message, and most repeat what their client said before.
    if (known !== undefined && sameDetails(known, contact)) return;
    const details: ContactDetails = {
      uuid: contact.uuid ?? null,
      arch: contact.arch ?? null,
      vendorClass: contact.vendorClass ?? null,
      hostname: contact.hostname ?? null,
    };
    if (this.knownContacts.size >= MAX_KNOWN_CONTACTS) {
      this.knownContacts.clear();
      this.machineIds.clear();
    }
    this.knownContacts.set(contact.mac, details);
    // Dropped by a full queue: forgotten too, so that the client's next message enrols it (as a failed write does).
    if (!this.enqueue({ type: 'contact', contact })) this.knownContacts.delete(contact.mac);
  }

  event(record: DhcpEventRecord): void {
    this.enqueue({ type: 'event', ...record });
  }

  /** Resolves when everything queued so far is written (or dropped). */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  /** Queues `item` for the next drain; false when the queue is full and it was dropped (and counted). */
  private enqueue(item: Item): boolean {
    if (this.queue.length >= this.maxQueued) {
      this.lost(1);
      if (!this.overflowing) {
        this.overflowing = true;
        this.options.logger.warn(
          { queued: this.queue.length },
          'DHCP event queue full: dropping events until the store catches up',
        );
      }
      return false;
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
    return true;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_EVENT_BATCH);
      this.overflowing = false;
      // Contacts first: they are few (once per MAC and per new detail) and each gives later events their machine id.
      // An event of the batch never depends on a contact queued after it, since a contact precedes its exchange's
      // events in the queue, so writing them ahead keeps every event's machine id what in-order writing gave.
      const contacts = batch.flatMap((item) => (item.type === 'contact' ? [item.contact] : []));
      for (let start = 0; start < contacts.length; start += MAX_CONTACT_BATCH) {
        await this.writeContacts(contacts.slice(start, start + MAX_CONTACT_BATCH));
        await nextTurn();
      }
      const events = batch.filter((item): item is EventItem => item.type === 'event');
      if (events.length > 0) {
        await this.writeEvents(events);
        // better-sqlite3 writes synchronously and awaiting one write after another only chains microtasks: without
        // this, a drain would hold the event loop for one commit after another while DHCP datagrams wait.
        await nextTurn();
      }
    }
  }

  /** One transaction for the batch (InventoryStore.recordContacts): one durable commit, not one per new machine. */
  private async writeContacts(contacts: readonly Contact[]): Promise<void> {
    try {
      const results = await this.options.inventory.recordContacts(contacts);
      for (const [i, contact] of contacts.entries()) {
        const result = results[i];
        if (result !== undefined) this.machineIds.set(contact.mac, result.machine.id);
      }
      this.failing = false;
    } catch (error) {
      for (const contact of contacts) this.knownContacts.delete(contact.mac); // try again next time
      this.failed(contacts.length, error);
    }
  }

  /** One transaction for the batch (EventLog.appendMany): one durable commit, not one per event. */
  private async writeEvents(events: readonly DhcpEventRecord[]): Promise<void> {
    try {
      await this.options.events.appendMany(
        events.map((event) => ({
          at: event.at,
          mac: event.mac,
          machineId: this.machineIds.get(event.mac) ?? null,
          source: 'dhcp',
          kind: event.kind,
          details: event.details,
        })),
      );
      this.failing = false;
    } catch (error) {
      this.failed(events.length, error);
    }
  }

  private failed(count: number, error: unknown): void {
    this.lost(count);
    // One line per outage, not one per event.
    if (!this.failing) this.options.logger.warn({ err: error }, 'could not record DHCP events');
    this.failing = true;
  }

  private lost(count: number): void {
    this.options.onLost?.(count);
  }
}

/** What a contact says beyond its MAC; a contact saying the same again is not written. */
interface ContactDetails {
  readonly uuid: Contact['uuid'];
  readonly arch: Contact['arch'];
  readonly vendorClass: Contact['vendorClass'];
  readonly hostname: Contact['hostname'];
}

function sameDetails(known: ContactDetails, contact: Contact): boolean {
  return (
    known.uuid === (contact.uuid ?? null) &&
    known.arch === (contact.arch ?? null) &&
    known.vendorClass === (contact.vendorClass ?? null) &&
    known.hostname === (contact.hostname ?? null)
  );
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}
