// Catalogue I3 as a model test: random conversations of several clients with one engine over a small pool. The
// model is what the clients were told (their ACKs); after every step it must agree with the store, and no two
// clients may ever have been ACKed the same address for overlapping times.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DhcpOutcome } from '../../src/net/dhcp-handler.js';
import { decline, discover, harness, type Harness, mac, release, request, SERVER } from './support.js';
import { decodeDhcpMessage } from '../../src/protocol/dhcp4/index.js';

const POOL = Array.from({ length: 4 }, (_, i) => `198.18.0.${100 + i}`);
const CLIENTS = 7;
const LEASE_MS = 600_000;

type Command =
  | { readonly op: 'dora'; readonly client: number }
  | { readonly op: 'discover'; readonly client: number }
  | { readonly op: 'select'; readonly client: number }
  | { readonly op: 'select-any'; readonly client: number; readonly address: number }
  | { readonly op: 'select-other-server'; readonly client: number }
  | { readonly op: 'init-reboot'; readonly client: number; readonly address: number }
  | { readonly op: 'renew'; readonly client: number; readonly address: number }
  | { readonly op: 'release'; readonly client: number }
  | { readonly op: 'decline'; readonly client: number }
  | { readonly op: 'wait'; readonly ms: number };

const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const address = fc.integer({ min: -1, max: POOL.length - 1 }); // -1: the address the client holds
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: client.map((c) => ({ op: 'dora' as const, client: c })) },
  { weight: 3, arbitrary: client.map((c) => ({ op: 'discover' as const, client: c })) },
  { weight: 4, arbitrary: client.map((c) => ({ op: 'select' as const, client: c })) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('select-any' as const), client, address }) },
  { weight: 1, arbitrary: client.map((c) => ({ op: 'select-other-server' as const, client: c })) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('init-reboot' as const), client, address }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('renew' as const), client, address }) },
  { weight: 1, arbitrary: client.map((c) => ({ op: 'release' as const, client: c })) },
  { weight: 1, arbitrary: client.map((c) => ({ op: 'decline' as const, client: c })) },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(1000, 30_000, 61_000, 300_000, 601_000)
      .map((ms) => ({ op: 'wait' as const, ms })),
  },
);

interface Held {
  readonly address: string;
  readonly until: number;
}

class Model {
  readonly offers = new Map<number, string>();
  readonly held = new Map<number, Held>();

  constructor(private readonly h: Harness) {}

  private now(): number {
    return this.h.clock.now();
  }

  holderOf(address: string, except: number): number | undefined {
    for (const [c, held] of this.held) {
      if (c !== except && held.address === address && held.until > this.now()) return c;
    }
    return undefined;
  }

  pick(c: number, index: number): string {
    return index < 0 ? (this.held.get(c)?.address ?? POOL[0]!) : POOL[index]!;
  }

  /** Applies the outcome of a message from client `c`, checking what the server said against the model. */
  observe(c: number, outcome: DhcpOutcome): void {
    if (outcome.kind === 'drop') {
      if (outcome.reason === 'released' || outcome.reason === 'declined') this.held.delete(c);
      return;
    }
    const reply = decodeDhcpMessage(outcome.bytes);
    switch (reply.messageType) {
      case 'offer':
        // Never offer an address another client was ACKed and still holds.
        expect(this.holderOf(reply.yourAddress, c)).toBeUndefined();
        this.offers.set(c, reply.yourAddress);
        return;
      case 'ack':
        // I3: never ACK an address another client holds, never leave a client with two.
        expect(this.holderOf(reply.yourAddress, c)).toBeUndefined();
        this.held.set(c, { address: reply.yourAddress, until: this.now() + LEASE_MS });
        return;
      case 'nak':
        this.held.delete(c);
        return;
      case 'discover':
      case 'request':
      case 'decline':
      case 'release':
      case 'inform':
        expect.fail(`a reply of type ${reply.messageType}`);
    }
  }

  /** The store agrees with every unexpired ACK, and holds one active lease per client and per address. */
  async check(): Promise<void> {
    const { leases } = await this.h.dump();
    const active = leases.filter((l) => l.state === 'bound' || l.state === 'offered');
    expect(new Set(active.map((l) => l.clientId)).size).toBe(active.length);
    for (const [c, held] of this.held) {
      if (held.until <= this.now()) continue;
      const row = leases.find((l) => l.address === held.address);
      expect(row).toMatchObject({ mac: mac(c), state: 'bound' });
      expect(row!.expiresAt).toBeGreaterThanOrEqual(held.until);
    }
  }
}

async function run(h: Harness, model: Model, cmd: Command): Promise<void> {
  if (cmd.op === 'wait') {
    await h.clock.advance(cmd.ms);
    return;
  }
  const c = cmd.client;
  const who = { mac: mac(c) };
  const send = async (message: Parameters<Harness['send']>[0]) => {
    model.observe(c, await h.send(message));
  };
  switch (cmd.op) {
    case 'dora': {
      await send(discover(who));
      const offered = model.offers.get(c);
      if (offered === undefined) return;
      return send(request({ ...who, serverId: SERVER, requested: offered }));
    }
    case 'discover':
      return send(discover(who));
    case 'select': {
      const offered = model.offers.get(c);
      if (offered === undefined) return;
      return send(request({ ...who, serverId: SERVER, requested: offered }));
    }
    case 'select-any':
      return send(request({ ...who, serverId: SERVER, requested: model.pick(c, cmd.address) }));
    case 'select-other-server':
      return send(request({ ...who, serverId: '198.18.0.2', requested: POOL[0]! }));
    case 'init-reboot':
      return send(request({ ...who, requested: model.pick(c, cmd.address) }));
    case 'renew':
      return send(request({ ...who, ciaddr: model.pick(c, cmd.address) }));
    case 'release': {
      const held = model.held.get(c);
      if (held === undefined) return;
      return send(release({ ...who, ciaddr: held.address, serverId: SERVER }));
    }
    case 'decline': {
      const held = model.held.get(c);
      if (held === undefined) return;
      return send(decline({ ...who, requested: held.address, serverId: SERVER }));
    }
  }
}

describe('address allocation, as a model (catalogue I3, I2)', () => {
  it('never binds one address to two clients, nor two addresses to one client', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 10, maxLength: 60, size: 'max' }), async (commands) => {
        const h = await harness({
          subnets: [
            {
              subnet: '198.18.0.0/24',
              pools: [{ start: POOL[0]!, end: POOL.at(-1)! }],
              dns: ['198.18.0.53'],
              leaseTime: LEASE_MS / 1000,
            },
          ],
        });
        const model = new Model(h);
        for (const cmd of commands) {
          await run(h, model, cmd);
          await model.check();
        }
        await h.engine.stop();
      }),
      { numRuns: 60 },
    );
  });
});
