// Test support for the DHCP engine: a real SQLite store, a FakeClock, the real config loader, and builders for
// client messages. No mocks of the store (test/support/broken-store.ts wraps a real one to make it fail).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { stringify } from 'yaml';
import { type BootFileTable, defaultBootFileTable } from '../../src/boot/boot-file.js';
import type { DhcpConfig } from '../../src/config/types.js';
import { loadConfig } from '../../src/config/load.js';
import { createDhcpEngine, type DhcpEngine, type DhcpEngineOptions } from '../../src/dhcp/engine.js';
import { type Lease, LEASE_STATES } from '../../src/inventory/lease.js';
import type { DhcpDestination, DhcpExchange, DhcpOutcome } from '../../src/net/dhcp-handler.js';
import type { Metrics } from '../../src/observability/metrics.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { decodeDhcpMessage, type DhcpMessage, encodeDhcpMessage } from '../../src/protocol/dhcp4/index.js';
import { openStore } from '../../src/store/open.js';
import type { EventLog, InventoryStore, LeaseStore, Store } from '../../src/store/types.js';
import { type Ipv4, IPV4_ANY, parseIpv4 } from '../../src/values/ipv4.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';
import { clientMessage, type ClientSpec } from '../support/dhcp-client.js';

export const ip = (text: string): Ipv4 => parseIpv4(text);
export const mac = (n: number): string =>
  `52:54:00:00:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;

/** Our address on the test segment; the golden packets were captured against a server at 198.18.0.1. */
export const SERVER = ip('198.18.0.1');
export const LAN = '198.18.0.0/24';
export const REMOTE = '10.20.0.0/24';
export const RELAY = ip('10.20.0.1');

/** A subnet as written in fleetboot.yaml. */
export interface SubnetYaml {
  subnet: string;
  pools?: { start: string; end: string }[];
  router?: string;
  dns?: string[];
  domain?: string;
  leaseTime?: number;
  renewalTime?: number;
  rebindingTime?: number;
  reservations?: { mac: string; ip: string; hostname?: string }[];
}

export const LAN_SUBNET: SubnetYaml = {
  subnet: LAN,
  pools: [{ start: '198.18.0.100', end: '198.18.0.199' }],
  router: '198.18.0.254',
  dns: ['198.18.0.53'],
  domain: 'lab.example',
  leaseTime: 3600,
};

export const REMOTE_SUBNET: SubnetYaml = {
  subnet: REMOTE,
  pools: [{ start: '10.20.0.50', end: '10.20.0.59' }],
  router: '10.20.0.1',
  dns: ['10.20.0.53'],
};

/** The `dhcp` section as the real loader returns it (so DhcpConfig is what the engine is given). */
export function dhcpConfig(subnets: readonly SubnetYaml[], mode: 'full' | 'proxy' = 'full'): DhcpConfig {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-dhcp-config-'));
  try {
    writeFileSync(
      path.join(dir, 'fleetboot.yaml'),
      stringify({ dhcp: { mode, interfaces: ['fb0'], subnets } }),
    );
    return loadConfig({ path: 'fleetboot.yaml', cwd: dir, env: {} }).config.dhcp;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Stores {
  readonly leases: LeaseStore;
  readonly inventory: InventoryStore;
  readonly events: EventLog;
}

export interface HarnessOptions {
  readonly subnets?: readonly SubnetYaml[];
  /** `dhcp.mode`; default `full`. */
  readonly mode?: 'full' | 'proxy';
  /** An SQLite file to open (to survive a restart); default an in-memory database. */
  readonly file?: string;
  readonly clock?: FakeClock;
  readonly bootFiles?: BootFileTable;
  /** Replace the store's parts (a BrokenStore) while keeping the real store for inspection. */
  readonly wrap?: (store: Store) => Partial<Stores>;
  readonly engine?: Partial<DhcpEngineOptions>;
  /** Call engine.start() (default true). */
  readonly start?: boolean;
}

export interface Harness {
  readonly clock: FakeClock;
  readonly store: Store;
  readonly engine: DhcpEngine;
  readonly metrics: Metrics;
  readonly logLines: () => Record<string, unknown>[];
  /** Sends a message as if it arrived on the LAN interface (or from a relay when giaddr is set). */
  send(message: DhcpMessage, exchange?: Partial<DhcpExchange>): Promise<DhcpOutcome>;
  /** DISCOVER then REQUEST for the offered address; returns the ACKed address. */
  dora(client: ClientSpec): Promise<Ipv4>;
  /** Every lease row of the LAN and REMOTE subnets, and every machine: for "store unchanged" checks. */
  dump(): Promise<{ leases: readonly Lease[]; machines: readonly unknown[] }>;
}

/** A fresh engine over a fresh (or the given) SQLite store, closed when the test ends. */
export async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new FakeClock();
  const root = mkdtempSync(path.join(tmpdir(), 'fleetboot-dhcp-'));
  const store = await openStore(options.file === undefined ? 'sqlite::memory:' : `sqlite:${options.file}`, {
    dataDir: root,
    now: () => clock.now(),
  });
  await store.migrate();
  const { logger, lines } = memoryLogger('debug');
  const metrics = createMetrics({ processMetrics: false });
  const parts = {
    leases: store.leases,
    inventory: store.inventory,
    events: store.events,
    ...options.wrap?.(store),
  };
  const engine = createDhcpEngine({
    config: dhcpConfig(options.subnets ?? [LAN_SUBNET, REMOTE_SUBNET], options.mode),
    ...parts,
    clock,
    logger,
    metrics,
    bootFiles: options.bootFiles ?? defaultBootFileTable(),
    ...options.engine,
  });
  if (options.start !== false) await engine.start();
  onTestFinished(async () => {
    await engine.stop();
    await store.close();
    rmSync(root, { recursive: true, force: true });
  });
  const h: Harness = {
    clock,
    store,
    engine,
    metrics,
    logLines: lines,
    send: (message, exchange = {}) => engine(exchangeOf(message, exchange)),
    async dora(client) {
      const offer = replyOf(await h.send(discover(client)));
      expect(offer.message.messageType).toBe('offer');
      const ack = replyOf(
        await h.send(request({ ...client, serverId: SERVER, requested: offer.message.yourAddress })),
      );
      expect(ack.message.messageType).toBe('ack');
      return ack.message.yourAddress;
    },
    async dump() {
      const leases = [];
      for (const subnet of [LAN, REMOTE]) {
        const [network = '', prefix = ''] = subnet.split('/');
        leases.push(
          ...(await store.leases.listBySubnet(
            { network: ip(network), prefixLength: Number(prefix) },
            LEASE_STATES,
          )),
        );
      }
      const machines = (await store.inventory.list({ limit: 1000 })).items;
      return { leases, machines };
    },
  };
  return h;
}

export function exchangeOf(message: DhcpMessage, overrides: Partial<DhcpExchange> = {}): DhcpExchange {
  return {
    request: message,
    raw: encodeDhcpMessage(message),
    interfaceName: 'fb0',
    interfaceAddress: SERVER,
    localPort: 67,
    source: { address: message.clientAddress, port: message.relayAgentAddress === IPV4_ANY ? 68 : 67 },
    receivedAt: 0,
    ...overrides,
  };
}

export { clientMessage, type ClientSpec } from '../support/dhcp-client.js';

export const discover = (spec: ClientSpec) => clientMessage('discover', spec);
export const request = (spec: ClientSpec) => clientMessage('request', spec);
export const decline = (spec: ClientSpec) => clientMessage('decline', spec);
export const release = (spec: ClientSpec) => clientMessage('release', spec);
export const inform = (spec: ClientSpec) => clientMessage('inform', spec);

export interface DecodedReply {
  readonly message: DhcpMessage;
  readonly bytes: Uint8Array;
  readonly destination: DhcpDestination;
  readonly label: string;
}

/** The reply of an outcome, decoded; fails the test if the engine dropped the message. */
export function replyOf(outcome: DhcpOutcome): DecodedReply {
  if (outcome.kind !== 'reply') expect.fail(`expected a reply, got a drop (${outcome.reason})`);
  return {
    message: decodeDhcpMessage(outcome.bytes),
    bytes: outcome.bytes,
    destination: outcome.destination,
    label: outcome.label,
  };
}

/** The drop reason of an outcome; fails the test if the engine replied. */
export function dropOf(outcome: DhcpOutcome): string {
  if (outcome.kind !== 'drop') expect.fail(`expected a drop, got ${outcome.label}`);
  return outcome.reason;
}
