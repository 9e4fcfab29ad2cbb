// The store's interfaces, in domain terms only (design.md §5): callers never see Kysely, SQL or rows.
// Typed values (Mac, Ipv4, Ipv4Subnet, Uuid, ClientId, MachineId) are canonical by construction (design.md §8.5):
// a lookup uses its key as given, so one that is not canonical matches nothing; a write checks them and refuses,
// with InvalidInputError, one that is not canonical, rather than storing a spelling a lookup would not find.
import type { ApiToken, NewApiToken } from '../inventory/api-token.js';
import type { AuditEntry, AuditOutcome, NewAuditEntry } from '../inventory/audit.js';
import type { CaptureBound, CapturedPacket, NewCapturedPacket } from '../inventory/capture.js';
import type { MachineEvent, NewMachineEvent } from '../inventory/event.js';
import type { ClientId, Lease, LeaseState } from '../inventory/lease.js';
import type { InstallMark, Labels, Machine, MachineId, MachineState } from '../inventory/machine.js';
import type { EpochMs } from '../inventory/time.js';
import type { Ipv4, Ipv4Subnet } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import type { Uuid } from '../values/uuid.js';
import type { InvalidInputError, LeaseConflictError } from './errors.js';
import type { StoreHealth } from './health.js';

/** What a boot client told us about itself on contact (DHCP, TFTP or HTTP). Empty strings count as not said. */
export interface Contact {
  readonly mac: Mac;
  readonly uuid?: Uuid | null;
  readonly arch?: number | null;
  readonly vendorClass?: string | null;
  readonly hostname?: string | null;
}

export interface ContactResult {
  readonly machine: Machine;
  /** True when this contact enrolled the machine (it is then `discovered`). */
  readonly created: boolean;
}

export interface MachineFilter {
  /** Any of these states. */
  readonly states?: readonly MachineState[];
  /** All of these labels, with exactly these values. */
  readonly labels?: Labels;
  /**
   * A case-insensitive substring of the hostname, a MAC, the UUID, the reserved IP, the profile or the vendor
   * class. Case folding is ASCII-only on SQLite; PostgreSQL folds other letters too.
   */
  readonly text?: string;
}

export const MACHINE_SORT_KEYS = ['createdAt', 'updatedAt', 'hostname', 'state'] as const;
export type MachineSortKey = (typeof MACHINE_SORT_KEYS)[number];

export interface MachineSort {
  readonly by: MachineSortKey;
  readonly direction: 'asc' | 'desc';
}

export interface MachineListQuery {
  readonly filter?: MachineFilter;
  /** Default: oldest first (`createdAt` ascending). Ties are broken by id, so the order is total. */
  readonly sort?: MachineSort;
  /** Page size, 1 to MAX_PAGE_SIZE; default DEFAULT_PAGE_SIZE. */
  readonly limit?: number;
  /** `nextCursor` of the previous page; only valid with the same sort. */
  readonly cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

/** How many machines are in each install state (every state present, zero when none). */
export type MachineCounts = Readonly<Record<MachineState, number>>;

export interface MachinePage {
  readonly items: readonly Machine[];
  /** Cursor of the next page; null on the last one. Keyset-based, so pages stay stable under inserts. */
  readonly nextCursor: string | null;
  /** Machines matching the filter, across all pages. */
  readonly total: number;
}

/** Fields an update may change; absent fields are left alone, `null` clears. */
export interface MachinePatch {
  /** Replaces the set of interfaces; must not be empty, and no MAC may belong to another machine. */
  readonly macs?: readonly Mac[];
  readonly uuid?: Uuid | null;
  readonly arch?: number | null;
  readonly vendorClass?: string | null;
  readonly hostname?: string | null;
  readonly reservedIp?: Ipv4 | null;
  readonly profile?: string | null;
  readonly state?: MachineState;
  /** Must be present exactly when the resulting state is queued or installing. */
  readonly installMark?: InstallMark | null;
}

/**
 * What the caller believes the machine is right now. A write whose expectation no longer holds fails with
 * MachineConflictError instead of overwriting someone else's change. At least one field is required.
 */
export interface Expectation {
  readonly version?: number;
  readonly state?: MachineState;
}

export interface InventoryStore {
  /**
   * Records that a client with this MAC made contact: enrols it as `discovered` on first contact, otherwise fills
   * in the UUID, arch, vendor class and hostname it did not know yet (it never overwrites known values: the same
   * box shows up as PXE ROM, iPXE, installer and installed OS, each saying something different). Safe to call
   * concurrently for one MAC: exactly one machine is created.
   */
  recordContact(contact: Contact): Promise<ContactResult>;
  /**
   * Records several contacts in one transaction, so they share one durable commit (one fsync with SQLite's
   * synchronous=FULL) instead of one each: how the DHCP server writes the contacts of a burst of new clients. Each
   * contact gets what `recordContact` would have given it, in order (a MAC repeated in the batch sees its earlier
   * contact). All or nothing: an invalid contact (InvalidInputError) fails the call before anything is written.
   */
  recordContacts(contacts: readonly Contact[]): Promise<readonly ContactResult[]>;
  get(id: MachineId): Promise<Machine | undefined>;
  getByMac(mac: Mac): Promise<Machine | undefined>;
  /** All machines with this SMBIOS UUID, oldest first; more than one when firmware shares UUIDs. */
  findByUuid(uuid: Uuid): Promise<readonly Machine[]>;
  /** The machine whose install mark has this token hash. */
  getByInstallToken(tokenHash: string): Promise<Machine | undefined>;
  list(query?: MachineListQuery): Promise<MachinePage>;
  /**
   * The machines matching `filter`, counted per state in one query: what `fleetboot status`, the dashboard and
   * the `fleetboot_machines` gauge show, without reading a machine.
   */
  countByState(filter?: MachineFilter): Promise<MachineCounts>;
  /** @throws MachineNotFoundError, MachineConflictError, DuplicateValueError, InvalidInputError */
  update(id: MachineId, patch: MachinePatch, expect: Expectation): Promise<Machine>;
  /** Replaces all labels. @throws MachineNotFoundError, MachineConflictError, InvalidInputError */
  setLabels(id: MachineId, labels: Labels, expect?: Expectation): Promise<Machine>;
  /**
   * Removes the machine, its interfaces and labels; its events stay in the log. False when there was no such
   * machine. @throws MachineConflictError when `expect` no longer holds.
   */
  forget(id: MachineId, expect?: Expectation): Promise<boolean>;
}

export interface LeaseStore {
  /**
   * The lease of this client in this subnet: its active one if it has one, else the most recently changed
   * released or expired one (the address it should get again if free). Declined leases are never returned.
   */
  findByClient(subnet: Ipv4Subnet, clientId: ClientId): Promise<Lease | undefined>;
  /** The lease row of this address, in whatever state. */
  findByAddress(address: Ipv4): Promise<Lease | undefined>;
  /**
   * Writes an offered or bound lease and returns the lease as stored. Durable when the promise resolves
   * (reliability-catalogue P1: the ACK goes out after this). Re-committing the same client's lease (renewal,
   * retransmission) succeeds. The database constraints, not locks, make this correct with several servers
   * (design.md §5).
   *
   * An offer never downgrades a binding: committing `offered` for the client whose lease on that address is
   * `bound` and unexpired leaves it bound, with the later of the two expiries, and returns it so (its other
   * fields stay those of the binding). The usual case is a PXE ROM that got its ACK, then iPXE starting over
   * with a DISCOVER: the DHCP server offers the returned address again and the REQUEST binds it as usual.
   * Refusing instead would put an error on the DHCP server's most common path, which would still have to answer
   * with the same address; keeping the binding needs no special case there and can never shorten a lease that
   * is in use (catalogue I2, I3).
   * @throws LeaseConflictError when the address is held by another client (or is declined), or when the client
   *   holds another active address in the subnet.
   * @throws InvalidInputError when the lease is not valid (no identity, address outside the subnet, …).
   */
  commit(lease: Lease): Promise<Lease>;
  /**
   * Commits several leases in one transaction, so they share one durable commit (one fsync with SQLite's
   * synchronous=FULL) instead of one each: how the DHCP server batches REQUESTs (catalogue L01, group commit).
   * Each lease gets what `commit` would have given it, in order: the lease as stored, or the LeaseConflictError or
   * InvalidInputError `commit` would have thrown; a refused lease leaves the others committed. As with `commit`,
   * every lease of the batch is durable when the promise resolves. A lease sees the ones before it in the batch
   * (two clients asking for one address: the second gets a conflict). Rejects only when the transaction itself
   * fails (StoreUnavailableError, StoreBusyError, StoreQueryError), and then none of the batch is committed.
   */
  commitMany(leases: readonly Lease[]): Promise<readonly LeaseCommitResult[]>;
  /** Leases of a subnet in the given states (default: the active ones), in address order. */
  listBySubnet(subnet: Ipv4Subnet, states?: readonly LeaseState[]): Promise<readonly Lease[]>;
  /** DHCPRELEASE: only the client holding the address may release it. Undefined when it does not hold it. */
  release(address: Ipv4, clientId: ClientId): Promise<Lease | undefined>;
  /**
   * DHCPDECLINE: quarantines an address the client holds until `probationUntil` (catalogue P5). Undefined when
   * the client does not hold it (catalogue D26: no quarantine then).
   */
  decline(address: Ipv4, clientId: ClientId, probationUntil: EpochMs): Promise<Lease | undefined>;
  /** Marks every active lease and every probation that ends at or before `asOf` as expired; returns them. */
  expire(asOf: EpochMs): Promise<readonly Lease[]>;
}

/** One lease's outcome in LeaseStore.commitMany. */
export type LeaseCommitResult =
  | { readonly ok: true; readonly lease: Lease }
  | { readonly ok: false; readonly error: LeaseConflictError | InvalidInputError };

export interface LogQuery {
  /** Inclusive lower bound on `at`. */
  readonly since?: EpochMs;
  /** Exclusive upper bound on `at`. */
  readonly until?: EpochMs;
  /** Only entries with a larger id: how a follower resumes. */
  readonly afterId?: number;
  /** Only entries with a smaller id: how a reader pages backwards. */
  readonly beforeId?: number;
  /** 1 to MAX_LOG_PAGE; default DEFAULT_LOG_PAGE. */
  readonly limit?: number;
  /** By id; default ascending (append order). */
  readonly order?: 'asc' | 'desc';
}

export const DEFAULT_LOG_PAGE = 100;
export const MAX_LOG_PAGE = 1000;

export interface EventQuery extends LogQuery {
  /**
   * The machine's timeline: its events, and the events of its MACs from before it was enrolled (those carry
   * only a MAC).
   */
  readonly machineId?: MachineId;
  readonly mac?: Mac;
}

export interface EventLog {
  /** Appends and returns the id. Ids increase in commit order, so "after id" never skips an event. */
  append(event: NewMachineEvent): Promise<number>;
  /**
   * Appends the events in one transaction (one durable commit) and returns their ids, increasing in the given
   * order. All or nothing: an event that is not valid (InvalidInputError) fails the whole call before anything is
   * written.
   */
  appendMany(events: readonly NewMachineEvent[]): Promise<readonly number[]>;
  list(query?: EventQuery): Promise<readonly MachineEvent[]>;
}

export interface AuditQuery extends LogQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly outcome?: AuditOutcome;
}

export interface AuditLog {
  append(entry: NewAuditEntry): Promise<number>;
  list(query?: AuditQuery): Promise<readonly AuditEntry[]>;
}

/** API tokens (issue 6). Only hashes are stored; no method returns one. */
export interface TokenStore {
  /** @throws TokenNameTakenError, InvalidInputError */
  create(token: NewApiToken): Promise<ApiToken>;
  /** Every token, revoked ones included, oldest first. */
  list(): Promise<readonly ApiToken[]>;
  /** The token with this hash, unless it was revoked: what authenticates a request. */
  findActiveByHash(tokenHash: string): Promise<ApiToken | undefined>;
  /** Revokes the token of this name; it stops authenticating at once. Undefined when there is no such token. */
  revoke(name: string): Promise<ApiToken | undefined>;
}

/**
 * Each machine's captured boot packets (issue 6 item 5): kept for a pcap download, bounded per machine, removed
 * with the machine (`forget`).
 */
export interface CaptureStore {
  /**
   * Appends the packets, in one transaction, to the captures of the machines their MACs are interfaces of, then
   * trims each capture appended to down to `bound`, dropping its oldest packets. A packet whose MAC is no
   * machine's is not written: the indexes of those packets are returned (the machine may be enrolled a moment
   * later; the caller decides whether to try again). All or nothing: an invalid packet (InvalidInputError) fails
   * the call before anything is written.
   */
  append(packets: readonly NewCapturedPacket[], bound: CaptureBound): Promise<readonly number[]>;
  /** A machine's capture in time order (ties in append order); empty for a machine without one. */
  list(machineId: MachineId): Promise<readonly CapturedPacket[]>;
}

export type StoreDialect = 'sqlite' | 'postgres';

export type { StoreHealth } from './health.js';

/**
 * Every method of every part of a Store rejects only with a StoreError, whose `code` is stable: besides the domain
 * errors each method names, StoreUnavailableError (the database cannot be reached or cannot write; health() goes
 * down), StoreBusyError (another writer held it too long; nothing written, retry) and StoreQueryError (anything
 * else the database refused).
 */
export interface Store {
  readonly dialect: StoreDialect;
  readonly inventory: InventoryStore;
  readonly leases: LeaseStore;
  readonly events: EventLog;
  readonly audit: AuditLog;
  readonly tokens: TokenStore;
  readonly captures: CaptureStore;
  /** Brings the schema up to date; idempotent and safe to run from several servers at once. Returns what ran. */
  migrate(): Promise<readonly string[]>;
  /**
   * Whether the database can be reached, for /healthz and for the DHCP server to pause its answers while it
   * cannot (reliability-catalogue P3). Cheap: no query. `down` from the moment a connection is lost (PostgreSQL
   * pool errors) or a call fails with StoreUnavailableError, until a query or ping() succeeds. The store does not
   * retry by itself: while it is down, whoever reports health calls ping() now and then.
   */
  health(): StoreHealth;
  /** Calls `listener` on every change of health(); returns a function that removes it. */
  onHealthChange(listener: (health: StoreHealth) => void): () => void;
  /**
   * Calls `listener` each time events appended through this store have become visible to `events.list`, so a
   * follower (the API's event stream) reads them at once instead of at its next poll. Events that another process
   * appends (several servers on one PostgreSQL database) are not announced: followers still poll for those.
   * Returns a function that removes the listener.
   */
  onEventsAppended(listener: () => void): () => void;
  /** One round trip to the database; health() follows the outcome. @throws StoreUnavailableError */
  ping(): Promise<void>;
  /** Waits for running queries and closes the database. */
  close(): Promise<void>;
}
