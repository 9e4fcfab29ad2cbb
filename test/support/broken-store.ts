import { StoreError, StoreUnavailableError } from '../../src/store/errors.js';
import type { EventLog, InventoryStore, LeaseStore } from '../../src/store/types.js';

/** The error every broken method rejects with: what a lost database connection looks like to callers. */
export function unavailable(): StoreUnavailableError {
  return new StoreUnavailableError('test database', new Error('connection lost'));
}

/** What StoreBusyError looks like to callers (catalogue F07): the stable code, nothing written. */
export class BusyError extends StoreError {
  override readonly name = 'StoreBusyError';
  readonly code = 'FLEETBOOT_STORE_BUSY';
}

/**
 * A LeaseStore over a real one whose listed methods fail (design.md §8.4: fakes over mocks). `broken.failing` can
 * be changed during a test to break and heal the store; the methods not listed reach the real store.
 */
export class BrokenLeaseStore implements LeaseStore {
  constructor(
    private readonly real: LeaseStore,
    public failing: ReadonlySet<keyof LeaseStore> = new Set([
      'findByClient',
      'findByAddress',
      'commit',
      'commitMany',
      'listBySubnet',
      'release',
      'decline',
      'expire',
    ]),
    /** What the failing methods reject with. */
    public error: () => StoreError = unavailable,
  ) {}

  private call<K extends keyof LeaseStore>(name: K): LeaseStore[K] {
    if (this.failing.has(name)) return () => Promise.reject(this.error());
    return this.real[name].bind(this.real) as LeaseStore[K];
  }

  findByClient: LeaseStore['findByClient'] = (...args) => this.call('findByClient')(...args);
  findByAddress: LeaseStore['findByAddress'] = (...args) => this.call('findByAddress')(...args);
  commit: LeaseStore['commit'] = (...args) => this.call('commit')(...args);
  commitMany: LeaseStore['commitMany'] = (...args) => this.call('commitMany')(...args);
  listBySubnet: LeaseStore['listBySubnet'] = (...args) => this.call('listBySubnet')(...args);
  release: LeaseStore['release'] = (...args) => this.call('release')(...args);
  decline: LeaseStore['decline'] = (...args) => this.call('decline')(...args);
  expire: LeaseStore['expire'] = (...args) => this.call('expire')(...args);
}

/** An EventLog and InventoryStore that always fail: events must never stop a reply. */
export const brokenEventLog: EventLog = {
  append: () => Promise.reject(unavailable()),
  appendMany: () => Promise.reject(unavailable()),
  list: () => Promise.reject(unavailable()),
};

export function brokenInventory(): InventoryStore {
  const fail = () => Promise.reject(unavailable());
  return {
    recordContact: fail,
    recordContacts: fail,
    get: fail,
    getByMac: fail,
    findByUuid: fail,
    getByInstallToken: fail,
    list: fail,
    countByState: fail,
    update: fail,
    setLabels: fail,
    forget: fail,
  };
}
