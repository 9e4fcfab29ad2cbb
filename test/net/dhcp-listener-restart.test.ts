// The listener watches its interface (dhcp-listener.ts, `watch`): SO_BINDTODEVICE pins an interface index, so a
// deleted interface leaves a deaf socket, and a changed address would leave a stale server identifier. Either
// calls `fail`, and the supervisor restarts the listener, which then serves with the new address or, while the
// interface is missing, stays down and retries.
import { beforeAll, expect, it } from 'vitest';
import type { Host } from '../../src/lab/index.js';
import { golden } from '../protocol/dhcp4/support.js';
import { describeLab, useLab } from '../support/lab.js';
import {
  type ExchangeEvent,
  eventually,
  FixtureProcess,
  type ReceivedEvent,
  toHex,
} from './fixtures/lab-peers.js';

const DISCOVER = toHex(golden('udhcpc-discover'));

describeLab('DHCP listener restarts when its interface changes', () => {
  const lab = useLab('dhcp-listener-restart');
  let server: Host;
  let serverIf: string;
  let dhcp: FixtureProcess;
  let client: FixtureProcess;
  let xid = 0x0c000001;

  async function exchange() {
    const id = xid++;
    await client.request(
      { op: 'send', to: '255.255.255.255', port: 67, hex: DISCOVER, xidStart: id },
      'sent',
    );
    const reply = await client.waitFor<ReceivedEvent>('received', (e) => e.xid === id);
    const seen = await dhcp.waitFor<ExchangeEvent>('exchange', (e) => e.xid === id);
    return { reply, seen };
  }

  async function stateBecomes(state: string): Promise<void> {
    await eventually(`listener ${state}`, async () => {
      const event = await dhcp.request({ op: 'states' }, 'states');
      const states = event['states'] as Record<string, string>;
      return states[`dhcp:${serverIf}`] === state ? true : undefined;
    });
  }

  beforeAll(async () => {
    const sw = await lab().addSwitch();
    server = await lab().addHost('server', { switch: sw, address: '198.18.0.1/24' });
    serverIf = server.interfaces[0]!.name;
    const host = await lab().addHost('client', { switch: sw });
    dhcp = FixtureProcess.server(server, { interfaces: [serverIf], ports: [67], watchIntervalMs: 100 });
    client = FixtureProcess.peer(host, { interface: host.interfaces[0]!.name, port: 68 });
    await Promise.all([dhcp.waitFor('ready', () => true, 20_000), client.waitFor('ready')]);
  });

  it('answers with the new address after the interface address changes', async () => {
    const first = await exchange();
    expect(first.seen.address).toBe('198.18.0.1');
    // Another subnet, so that it is a primary address and survives the deletion of the first (ip-address(8)).
    expect((await server.exec('ip', ['addr', 'add', '198.18.5.7/24', 'dev', serverIf])).code).toBe(0);
    expect((await server.exec('ip', ['addr', 'del', '198.18.0.1/24', 'dev', serverIf])).code).toBe(0);
    await eventually('a restart with the new address', () =>
      dhcp.lines().find((l) => typeof l['msg'] === 'string' && l['msg'].includes('failed; restarting')),
    );
    await stateBecomes('up');
    const second = await exchange();
    expect(second.seen.address).toBe('198.18.5.7');
    expect(second.reply).toMatchObject({ from: '198.18.5.7', sname: serverIf });
  });

  it('goes down, and keeps retrying, once the interface is deleted', async () => {
    expect((await server.exec('ip', ['link', 'del', serverIf])).code).toBe(0);
    await stateBecomes('down');
    const refused = await eventually('a failed restart', () =>
      dhcp
        .lines()
        .find((l) => typeof l['err'] === 'object' && JSON.stringify(l['err']).includes('does not exist')),
    );
    expect(JSON.stringify(refused)).toContain(serverIf);
  });
});
