// proxyDHCP mode (protocol-digest §2.5, issue 3 item 3): boot information only, never an address, never the lease
// store; real clients' packets from test/golden/dhcp4.
import { describe, expect, it } from 'vitest';
import {
  decodeDhcpMessage,
  decodePxeVendorOptions,
  type DhcpMessage,
  encodePxeVendorOptions,
} from '../../src/protocol/dhcp4/index.js';
import { BROADCAST_FLAG } from '../../src/protocol/dhcp4/layout.js';
import type { LeaseStore } from '../../src/store/types.js';
import { IPV4_ANY } from '../../src/values/ipv4.js';
import { golden } from '../protocol/dhcp4/support.js';
import { clientMessage, dropOf, harness, ip, replyOf, SERVER } from './support.js';

const SCRIPT = 'http://198.18.0.1:8080/boot.ipxe';
const CLIENT = ip('198.18.0.150'); // the address the site's server gave the client

const goldenRequest = (name: string): DhcpMessage => decodeDhcpMessage(golden(name));

/** A lease store that fails the test on any use: proxy mode must never read or write leases. */
function untouchableLeases(): { leases: LeaseStore; calls: string[] } {
  const calls: string[] = [];
  const leases = new Proxy({} as LeaseStore, {
    get(_target, name) {
      return () => {
        calls.push(String(name));
        return Promise.reject(new Error(`lease store used in proxy mode: ${String(name)}`));
      };
    },
  });
  return { leases, calls };
}

async function proxyHarness() {
  const { leases, calls } = untouchableLeases();
  const h = await harness({ mode: 'proxy', subnets: [], wrap: () => ({ leases }) });
  return { h, calls };
}

/** EDK2's or iPXE's boot-server request to port 4011 (§2.5 step 4): the DISCOVER's options, with ciaddr. */
function bootServerRequest(discover: DhcpMessage): DhcpMessage {
  return { ...discover, messageType: 'request', clientAddress: CLIENT, flags: 0 };
}

describe('proxyDHCP: OFFER to netboot clients (protocol-digest §2.5 step 2)', () => {
  it.each([
    ['ipxe-bios-discover', SCRIPT, 'PXEClient'],
    ['ipxe-efi-discover', SCRIPT, 'PXEClient'],
    ['ovmf-x64-discover', 'snponly.efi', 'PXEClient'],
    ['ovmf-x64-http-discover', 'http://198.18.0.1:8080/boot/snponly.efi', 'HTTPClient'],
  ])('%s: yiaddr 0, option 54, 60 %s, boot file and siaddr, no lease options', async (name, file, vendor) => {
    const { h, calls } = await proxyHarness();
    const offer = replyOf(await h.send(goldenRequest(name)));
    const { message } = offer;
    expect(message.messageType).toBe('offer');
    expect(message.yourAddress).toBe(IPV4_ANY); // catalogue S10
    expect(message.clientAddress).toBe(IPV4_ANY);
    expect(message.transactionId).toBe(goldenRequest(name).transactionId);
    expect(message.options.serverIdentifier).toBe(SERVER);
    expect(message.options.vendorClassIdentifier).toBe(vendor);
    expect(message.bootFile).toBe(file);
    expect(message.nextServerAddress).toBe(SERVER);
    if (vendor === 'PXEClient') {
      // §2.3/§2.4: discovery control 8, "use the boot file of this offer" ⇒ EDK2 ProxyPxe10, no 4011 round.
      expect(decodePxeVendorOptions(message.options.vendorSpecific!)).toEqual({ discoveryControl: 8 });
    } else {
      expect(message.options.vendorSpecific).toBeUndefined();
    }
    for (const absent of ['leaseTime', 'renewalTime', 'rebindingTime', 'subnetMask', 'routers'] as const) {
      expect(message.options[absent]).toBeUndefined();
    }
    expect(message.flags & BROADCAST_FLAG).toBe(BROADCAST_FLAG);
    expect(offer.destination).toEqual({ address: '255.255.255.255', port: 68 });
    expect(calls).toEqual([]);
  });

  it('the expiry sweep never reaches the lease store', async () => {
    const { h, calls } = await proxyHarness();
    expect(await h.engine.sweep()).toBe(0);
    await h.clock.advance(10 * 60_000);
    expect(calls).toEqual([]);
  });

  it('records DISCOVER and OFFER with proxy: true, and the machine in the inventory', async () => {
    const { h } = await proxyHarness();
    replyOf(await h.send(goldenRequest('ovmf-x64-discover')));
    await h.engine.flushEvents();
    const events = await h.store.events.list();
    expect(events.map((e) => e.kind)).toEqual(['DHCPDISCOVER', 'DHCPOFFER']);
    expect(events.every((e) => e.details.proxy === true)).toBe(true);
    expect(events[1]?.details.bootFile).toBe('snponly.efi');
    const machine = await h.store.inventory.getByMac(events[0]!.mac as never);
    expect(machine?.uuid).toBe('8c2f5e0a-1b3d-4e6f-8a9b-0c1d2e3f4a02');
  });

  it('through a relay: the offer goes to giaddr:67', async () => {
    const { h } = await proxyHarness();
    const relayed = { ...goldenRequest('ipxe-bios-discover'), relayAgentAddress: ip('10.20.0.1') };
    const offer = replyOf(await h.send(relayed, { source: { address: '10.20.0.1', port: 67 } }));
    expect(offer.destination).toEqual({ address: '10.20.0.1', port: 67 });
    expect(offer.message.relayAgentAddress).toBe('10.20.0.1');
    expect(offer.message.yourAddress).toBe(IPV4_ANY);
  });
});

describe('proxyDHCP: port 4011 (protocol-digest §2.5 step 4)', () => {
  it.each([
    ['ovmf-x64-discover', 4011, 'snponly.efi'], // EDK2 sends from 4011
    ['ipxe-efi-discover', 68, SCRIPT], // iPXE sends from 68
  ])('%s: ACK with the boot file, yiaddr 0, back to the source port %d', async (name, port, file) => {
    const { h, calls } = await proxyHarness();
    const source = { address: CLIENT, port };
    const ack = replyOf(await h.send(bootServerRequest(goldenRequest(name)), { localPort: 4011, source }));
    expect(ack.message.messageType).toBe('ack');
    expect(ack.destination).toEqual(source);
    expect(ack.message.yourAddress).toBe(IPV4_ANY);
    expect(ack.message.bootFile).toBe(file);
    expect(ack.message.nextServerAddress).toBe(SERVER);
    expect(ack.message.options.serverIdentifier).toBe(SERVER);
    expect(ack.message.options.vendorClassIdentifier).toBe('PXEClient');
    expect(ack.message.options.leaseTime).toBeUndefined();
    expect(ack.message.options.renewalTime).toBeUndefined();
    expect(ack.message.options.rebindingTime).toBeUndefined();
    await h.engine.flushEvents();
    const events = await h.store.events.list();
    expect(events.map((e) => [e.kind, e.details.proxy, e.details.port])).toEqual([
      ['DHCPREQUEST', true, 4011],
      ['DHCPACK', true, 4011],
    ]);
    expect(calls).toEqual([]);
  });

  it('echoes the boot item (PXE sub-option 71) of the request in option 43', async () => {
    const { h } = await proxyHarness();
    const discover = goldenRequest('ovmf-x64-discover');
    const vendorSpecific = encodePxeVendorOptions({ bootItem: { type: 0, layer: 0 } });
    const withItem = { ...bootServerRequest(discover), options: { ...discover.options, vendorSpecific } };
    const source = { address: CLIENT, port: 4011 };
    const ack = replyOf(await h.send(withItem, { localPort: 4011, source }));
    expect(decodePxeVendorOptions(ack.message.options.vendorSpecific!)).toEqual({
      discoveryControl: 8,
      bootItem: { type: 0, layer: 0 },
    });
    expect(ack.message.bootFile).toBe('snponly.efi');
  });

  it('anything but a REQUEST on 4011 is dropped (port)', async () => {
    const { h } = await proxyHarness();
    const source = { address: CLIENT, port: 4011 };
    expect(dropOf(await h.send(goldenRequest('ovmf-x64-discover'), { localPort: 4011, source }))).toBe(
      'port',
    );
  });
});

describe("proxyDHCP bounds one client's queue (catalogue P6)", () => {
  it('refuses a fifth exchange queued at once by one client as client-busy', async () => {
    const { h } = await proxyHarness();
    const discover = goldenRequest('ipxe-bios-discover');
    const outcomes = await Promise.all(
      [1, 2, 3, 4, 5].map((xid) => h.send({ ...discover, transactionId: xid })),
    );
    expect(outcomes.map((o) => (o.kind === 'reply' ? o.label : o.reason))).toEqual([
      'DHCPOFFER',
      'DHCPOFFER',
      'DHCPOFFER',
      'DHCPOFFER',
      'client-busy',
    ]);
  });
});

describe('proxyDHCP stays silent where the site server answers', () => {
  it.each(['ipxe-bios-request-selecting', 'ovmf-x64-request-selecting'])(
    '%s on port 67: not ours (§2.5 step 3), no ACK, no NAK',
    async (name) => {
      const { h, calls } = await proxyHarness();
      expect(dropOf(await h.send(goldenRequest(name)))).toBe('not-for-us');
      expect(calls).toEqual([]);
    },
  );

  it.each([
    'dhclient-discover',
    'dhclient-request-selecting',
    'dhclient-request-init-reboot',
    'dhclient-release',
    'udhcpc-discover',
    'udhcpc-named-discover',
    'udhcpc-request-selecting',
    'udhcpc-request-renewing',
    'udhcpc-release',
  ])('%s: not-netboot, nothing recorded', async (name) => {
    const { h, calls } = await proxyHarness();
    expect(dropOf(await h.send(goldenRequest(name)))).toBe('not-netboot');
    await h.engine.flushEvents();
    expect(await h.store.events.list()).toEqual([]);
    expect((await h.store.inventory.list({ limit: 10 })).items).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('catalogue D21: a PXEClient without option 93 is dropped, and the timeline says why', async () => {
    const { h } = await proxyHarness();
    const message = clientMessage('discover', {
      mac: '52:54:00:00:21:01',
      options: { vendorClassIdentifier: 'PXEClient:Arch:00000:UNDI:002001' },
    });
    expect(dropOf(await h.send(message))).toBe('not-netboot');
    await h.engine.flushEvents();
    const events = await h.store.events.list();
    expect(events.map((e) => [e.kind, e.details.outcome, e.details.netbootProblem])).toEqual([
      ['DHCPDISCOVER', 'not-netboot', 'no option 93'],
    ]);
  });

  it('drops another server OFFER handed to it on 67 (§2.5: the site server answers; no rogue watch in proxy mode)', async () => {
    const { h } = await proxyHarness();
    const offer = decodeDhcpMessage(golden('udhcpd-offer'));
    const foreign = { ...offer, options: { ...offer.options, serverIdentifier: ip('198.18.0.53') } };
    expect(dropOf(await h.send(foreign))).toBe('op');
  });
});
