// Reliability-catalogue L04: a burst of 1000 DISCOVERs reaching a listener that is not reading (a rack powering
// on while the event loop is busy) must not be dropped by the kernel. The server process is stopped (SIGSTOP)
// during the burst, so nothing is read until the whole burst has been queued, and /proc/net/snmp's Udp
// RcvbufErrors in the server's namespace counts what the kernel threw away.
import { beforeAll, expect, it } from 'vitest';
import type { Host } from '../../src/lab/index.js';
import { golden } from '../protocol/dhcp4/support.js';
import { describeLab, useLab } from '../support/lab.js';
import { eventually, FixtureProcess, metricValue, toHex, udpCounters } from './fixtures/lab-peers.js';
import { QUIET_XID_BYTE } from './fixtures/line-protocol.js';

const BURST = 1000;
// A 300-byte DHCPDISCOVER (udhcpc pads to BOOTP's 300), as in the catalogue's measurement.
const DISCOVER = toHex(golden('udhcpc-discover'));

describeLab('DHCP listener receive buffer (L04)', () => {
  const lab = useLab('dhcp-listener-buffer');
  let server: Host;
  let serverIf: string;
  let client: FixtureProcess;

  beforeAll(async () => {
    const sw = await lab().addSwitch();
    server = await lab().addHost('server', { switch: sw, address: '198.18.0.1/24' });
    serverIf = server.interfaces[0]!.name;
    const host = await lab().addHost('client', { switch: sw });
    client = FixtureProcess.peer(host, { interface: host.interfaces[0]!.name, port: 68 });
    await client.waitFor('ready');
  });

  /** Starts a listener, bursts 1000 DISCOVERs at it while it is stopped, and counts what it got and what was lost. */
  async function burst(receiveBufferBytes?: number) {
    const dhcp = FixtureProcess.server(server, {
      interfaces: [serverIf],
      ports: [67],
      ...(receiveBufferBytes === undefined ? {} : { receiveBufferBytes }),
    });
    try {
      await dhcp.waitFor('ready', () => true, 20_000);
      const before = await udpCounters(server);
      dhcp.proc.signal('SIGSTOP');
      try {
        // Quiet xids: the test engine drops them, so no replies compete for the wire.
        const xidStart = (QUIET_XID_BYTE << 24) >>> 0;
        await client.request(
          { op: 'send', to: '255.255.255.255', port: 67, hex: DISCOVER, count: BURST, xidStart },
          'sent',
        );
      } finally {
        dhcp.proc.signal('SIGCONT');
      }
      return await eventually('the burst accounted for', async () => {
        const snmp = await udpCounters(server);
        const text = await dhcp.metrics();
        const lost = (snmp['RcvbufErrors'] ?? 0) - (before['RcvbufErrors'] ?? 0);
        const delivered = metricValue(text, 'fleetboot_dhcp_received_total', { interface: serverIf });
        const quiet = metricValue(text, 'fleetboot_dhcp_dropped_total', {
          interface: serverIf,
          reason: 'test-quiet',
        });
        return delivered + lost === BURST ? { delivered, lost, quiet, log: dhcp.lines() } : undefined;
      });
    } finally {
      await dhcp.stop();
    }
  }

  it('queues a burst of 1000 DISCOVERs in the 4 MiB receive buffer: all delivered, none lost', async () => {
    const result = await burst();
    expect(result).toMatchObject({ delivered: BURST, lost: 0, quiet: BURST });
    // The effective size is logged at start (socket(7): the kernel grants at most net.core.rmem_max).
    const opened = result.log.find(
      (l) => typeof l['msg'] === 'string' && l['msg'].includes('pinned to the interface'),
    );
    const receiveBuffer = opened?.['receiveBuffer'] as { requested: number; granted: number } | undefined;
    expect(receiveBuffer?.requested).toBe(4 * 1024 * 1024);
    expect(receiveBuffer?.granted).toBeGreaterThan(0);
  });

  it('loses most of the same burst with the kernel default buffer, which is what the test above guards against', async () => {
    // 106 496 requested = 212 992 accounted, the same as net.core.rmem_default on Debian.
    const result = await burst(106_496);
    expect(result.lost).toBeGreaterThan(0);
    expect(result.delivered).toBeLessThan(BURST);
  });
});
