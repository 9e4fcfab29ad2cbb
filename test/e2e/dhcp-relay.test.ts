import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeLab, useLab } from '../support/lab.js';
import { dhclientOnce, startFleetboot, stopDhclient, writeDhcpLabConfig } from './fixtures/lab-peers.js';

const FLEETBOOT = '198.18.0.1';
const RELAY_UP = '198.18.0.254'; // the relay's side facing fleetboot
const RELAY_DOWN = '198.18.5.1'; // the relay's side facing the clients: giaddr

// Issue 3, "Real peers": a real ISC dhcrelay between a client segment and fleetboot's segment. fleetboot serves
// two subnets (its own and the relayed one); dhclient behind the relay gets an address from the relayed subnet
// (fleetboot answers the relay on port 67, RFC 2131 §4.1), one on fleetboot's segment from that segment's.
describeLab('fleetboot serve behind isc-dhcp-relay', () => {
  const lab = useLab('dhcprelay');

  it('a dhclient behind dhcrelay leases from the relayed subnet', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-relay-'));
    const serverSegment = await lab().addSwitch();
    const clientSegment = await lab().addSwitch();
    const server = await lab().addHost('server', { switch: serverSegment, address: `${FLEETBOOT}/24` });
    const relay = await lab().addHost('relay', { switch: serverSegment, address: `${RELAY_UP}/24` });
    const down = await lab().connect(relay, clientSegment, { address: `${RELAY_DOWN}/24` });
    const client = await lab().addHost('client', { switch: clientSegment, mac: '52:54:00:fd:00:01' });
    const local = await lab().addHost('local', { switch: serverSegment, mac: '52:54:00:fd:00:02' });
    const serverIf = server.interfaces[0]!.name;
    // The listener's socket is pinned to its interface, so the route to the relayed subnet goes through it.
    expect(
      (await server.exec('ip', ['route', 'add', '198.18.5.0/24', 'via', RELAY_UP, 'dev', serverIf])).code,
    ).toBe(0);
    expect((await relay.exec('sysctl', ['-w', 'net.ipv4.ip_forward=1'])).code).toBe(0);

    const configFile = writeDhcpLabConfig(dir, `${FLEETBOOT}:8080`, [
      'mode: full',
      `interfaces: [${serverIf}]`,
      'rogueCheckInterval: 0',
      'subnets:',
      '  - subnet: 198.18.0.0/24',
      '    pools: [{start: 198.18.0.100, end: 198.18.0.120}]',
      '  - subnet: 198.18.5.0/24',
      '    pools: [{start: 198.18.5.100, end: 198.18.5.120}]',
      '    router: 198.18.5.1',
      '    dns: [198.18.0.1]',
    ]);
    const fleetboot = await startFleetboot(server, configFile);
    const dhcrelay = relay.run('dhcrelay', [
      '-4',
      '-d',
      '-iu',
      relay.interfaces[0]!.name,
      '-id',
      down.name,
      FLEETBOOT,
    ]);
    await dhcrelay.waitForLine(/Sending on/, { timeoutMs: 10_000, stream: 'stderr' });

    const bound = await dhclientOnce(client, dir);
    expect(bound.stderr, `${bound.stderr}\n${dhcrelay.stderr}`).toMatch(
      new RegExp(`DHCPOFFER of 198\\.18\\.5\\.1[01]\\d from ${RELAY_DOWN}`),
    );
    expect(bound.stderr).toMatch(/bound to 198\.18\.5\.1[01]\d/);
    // dhcrelay relayed both ways: the client's requests to fleetboot, fleetboot's replies (sent to its port 67) back.
    expect(dhcrelay.stderr).toMatch(
      new RegExp(`Forwarded BOOTREQUEST for 52:54:00:fd:00:01 to ${FLEETBOOT}`),
    );
    expect(dhcrelay.stderr).toMatch(/Forwarded BOOTREPLY for 52:54:00:fd:00:01/);
    // At the same time, a client on fleetboot's own segment leases from that segment's subnet.
    const localDir = mkdtempSync(path.join(dir, 'local-'));
    const direct = await dhclientOnce(local, localDir);
    expect(direct.stderr).toMatch(new RegExp(`DHCPOFFER of 198\\.18\\.0\\.1[01]\\d from ${FLEETBOOT}`));
    await stopDhclient(local, localDir);
    await stopDhclient(client, dir);
    await dhcrelay.stop(5000);
    await fleetboot.stop(10_000);
  }, 120_000);
});
