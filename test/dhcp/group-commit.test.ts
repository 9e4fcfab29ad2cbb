// Group commit (catalogue L01) must not weaken commit-before-ACK (P1): REQUESTs that arrive together share one
// store transaction, and each is answered from its own lease's outcome in it.
import { describe, expect, it } from 'vitest';
import { clientIdFromMac } from '../../src/inventory/lease.js';
import type { DhcpOutcome } from '../../src/net/dhcp-handler.js';
import type { LeaseStore } from '../../src/store/types.js';
import type { Ipv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { BrokenLeaseStore } from '../support/broken-store.js';
import {
  discover,
  dropOf,
  type Harness,
  harness,
  type HarnessOptions,
  ip,
  mac,
  replyOf,
  request,
  SERVER,
} from './support.js';

const clients = (n: number) => Array.from({ length: n }, (_, i) => ({ mac: mac(i + 1) }));

/** A harness whose lease store records the size of every commitMany batch, and can be made to fail. */
async function recording(options: HarnessOptions = {}) {
  const batches: number[] = [];
  let broken: BrokenLeaseStore | undefined;
  const h = await harness({
    ...options,
    wrap: (store) => {
      broken = new BrokenLeaseStore(store.leases, new Set<keyof LeaseStore>());
      const real = broken.commitMany;
      broken.commitMany = (leases) => {
        batches.push(leases.length);
        return real(leases);
      };
      return { leases: broken };
    },
  });
  return { h, batches, broken: broken! };
}

type Spec = { readonly mac: string };

/** A DISCOVER for each client, one after another; the addresses offered. */
async function offerAll(h: Harness, specs: readonly Spec[]): Promise<Ipv4[]> {
  const offered: Ipv4[] = [];
  for (const spec of specs) offered.push(replyOf(await h.send(discover(spec))).message.yourAddress);
  return offered;
}

/** All the clients' REQUESTs for their offers at once, so they reach the group commit together. */
function requestAll(h: Harness, specs: readonly Spec[], offered: readonly Ipv4[]): Promise<DhcpOutcome[]> {
  expect(offered).toHaveLength(specs.length);
  return Promise.all(
    specs.map((spec, i) => h.send(request({ ...spec, serverId: SERVER, requested: offered[i] ?? '' }))),
  );
}

/** DISCOVER for each client, then all their REQUESTs at once; returns the outcomes in client order. */
async function requestTogether(h: Harness, specs: readonly Spec[]): Promise<DhcpOutcome[]> {
  return requestAll(h, specs, await offerAll(h, specs));
}

describe('group commit of lease writes (catalogue L01, P1)', () => {
  it('commits REQUESTs that arrive together in one transaction and ACKs each with its own address', async () => {
    const { h, batches } = await recording();
    const outcomes = await requestTogether(h, clients(5));
    expect(outcomes.map((o) => replyOf(o).message.messageType)).toEqual(Array(5).fill('ack'));
    expect(new Set(outcomes.map((o) => replyOf(o).message.yourAddress)).size).toBe(5);
    expect(batches).toEqual([5]);
    expect((await h.dump()).leases.map((l) => l.state)).toEqual(Array(5).fill('bound'));
  });

  it('bounds the batch: the rest go in the next transactions', async () => {
    const { h, batches } = await recording({ engine: { maxCommitBatch: 2 } });
    const outcomes = await requestTogether(h, clients(5));
    expect(outcomes.map((o) => replyOf(o).message.messageType)).toEqual(Array(5).fill('ack'));
    expect(batches).toEqual([2, 2, 1]);
  });

  it('ACKs none of a batch whose transaction fails, and leaves nothing in the store', async () => {
    const { h, batches, broken } = await recording();
    const specs = clients(3);
    const offered = await offerAll(h, specs);
    broken.failing = new Set(['commitMany']);
    const outcomes = await requestAll(h, specs, offered);
    expect(outcomes.map(dropOf)).toEqual(Array(3).fill('store-unavailable'));
    expect(batches).toEqual([3]);
    expect((await h.dump()).leases).toEqual([]);
    // Healed, the clients' retransmissions are ACKed.
    broken.failing = new Set();
    const retried = await requestAll(h, specs, offered);
    expect(retried.map((o) => replyOf(o).message.messageType)).toEqual(Array(3).fill('ack'));
  });

  it('NAKs only the client whose lease conflicts in the store; the others of its batch are ACKed', async () => {
    const { h, batches } = await recording();
    const specs = clients(3);
    const offered = await offerAll(h, specs);
    // Another server sharing the database binds the second client's offered address behind this engine's back.
    const other = parseMac('52:54:00:00:09:99');
    await h.store.leases.commit({
      address: offered[1]!,
      subnet: { network: ip('198.18.0.0'), prefixLength: 24 },
      clientId: clientIdFromMac(other),
      mac: other,
      state: 'bound',
      expiresAt: h.clock.now() + 3_600_000,
      serverId: ip('198.18.0.2'),
      hostname: null,
      relayAgentInfo: null,
    });
    const outcomes = await requestAll(h, specs, offered);
    expect(batches).toEqual([3]);
    expect(outcomes.map((o) => replyOf(o).message.messageType)).toEqual(['ack', 'nak', 'ack']);
    const leases = (await h.dump()).leases;
    expect(leases.map((l) => [l.address, l.mac])).toEqual([
      [offered[0], specs[0]!.mac],
      [offered[1], other],
      [offered[2], specs[2]!.mac],
    ]);
  });
});
