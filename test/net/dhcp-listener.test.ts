// DhcpListener in this process: its sockets are real, on loopback and ephemeral ports, through an addon that
// pins to `lo` whatever interface is asked for and reports the asked name back, so the listener's own logic
// (ports, replies from the right socket, draining, the interface watch) runs without a namespace. The pinning
// itself is tested in the lab (dhcp-listener-segments.test.ts).
import { createSocket, type Socket } from 'node:dgram';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { DhcpExchange, DhcpHandler, DhcpOutcome } from '../../src/net/dhcp-handler.js';
import { createDhcpListeners, DhcpListener, type DhcpListenerOptions } from '../../src/net/dhcp-listener.js';
import type { InterfaceTable } from '../../src/net/udp-interface-address.js';
import { type NetDeviceAddon, netDeviceAddon } from '../../src/net/udp-netdev-addon.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Ipv4 } from '../../src/values/ipv4.js';
import { golden } from '../protocol/dhcp4/support.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';
import { metricValue } from './fixtures/lab-peers.js';

const DISCOVER = golden('udhcpc-discover');

/** Pins every socket to lo on an ephemeral port; `boundDevice` answers the asked name until `unplug()`. */
function loopbackAddon(options: { failPort?: number } = {}) {
  const real = netDeviceAddon();
  const asked = new Map<number, string>();
  let unplugged = false;
  const addon: NetDeviceAddon = {
    openUdpSocket(name, port) {
      if (port === options.failPort) throw Object.assign(new Error('bind: in use'), { code: 'EADDRINUSE' });
      const fd = real.openUdpSocket('lo', 0);
      asked.set(fd, name);
      return fd;
    },
    bindToDevice: (fd, name) => {
      real.bindToDevice(fd, name);
    },
    boundDevice(fd) {
      if (unplugged)
        throw Object.assign(new Error('getsockopt: No such device or address'), { code: 'ENXIO' });
      real.boundDevice(fd);
      return asked.get(fd) ?? '';
    },
  };
  return {
    addon,
    unplug: () => {
      unplugged = true;
    },
  };
}

function interfaceTable(address: string): InterfaceTable {
  return {
    'eth-test': [
      {
        address,
        family: 'IPv4',
        internal: false,
        netmask: '255.255.255.0',
        mac: '52:54:00:00:00:01',
        cidr: `${address}/24`,
      },
    ],
  };
}

const clients: Socket[] = [];
const listeners: DhcpListener[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(listeners.splice(0).map((l) => l.stop()));
});

/** Answers every request to its source, naming the port it came in on in the first byte. */
const echoToSource: DhcpHandler = (exchange) =>
  Promise.resolve({
    kind: 'reply',
    bytes: Uint8Array.of(exchange.localPort === 67 ? 67 : 41),
    destination: { address: exchange.source.address as Ipv4, port: exchange.source.port },
    label: 'DHCPOFFER',
  });

function setup(extra: Partial<DhcpListenerOptions> = {}) {
  const clock = new FakeClock();
  const { logger, lines } = memoryLogger('debug');
  const metrics = createMetrics({ processMetrics: false });
  const plug = loopbackAddon();
  let table = interfaceTable('192.0.2.1');
  const exchanges: DhcpExchange[] = [];
  const handler = extra.handler ?? echoToSource;
  const listener = new DhcpListener({
    interfaceName: 'eth-test',
    ports: [67, 4011],
    logger,
    metrics,
    clock,
    addon: plug.addon,
    interfaces: () => table,
    watchIntervalMs: 1000,
    drainTimeoutMs: 2000,
    ...extra,
    handler: (exchange) => {
      exchanges.push(exchange);
      return handler(exchange);
    },
  });
  listeners.push(listener);
  const failures: unknown[] = [];
  const start = () =>
    listener.start((error) => {
      failures.push(error);
    });
  const setAddress = (address: string) => {
    table = interfaceTable(address);
  };
  return { clock, lines, metrics, listener, exchanges, failures, start, plug, setAddress };
}

async function client(): Promise<{ socket: Socket; replies: Buffer[]; next: () => Promise<Buffer> }> {
  const socket = createSocket('udp4');
  clients.push(socket);
  const replies: Buffer[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  socket.on('message', (message) => {
    const resolve = waiting.shift();
    if (resolve) resolve(message);
    else replies.push(message);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const next = () =>
    new Promise<Buffer>((resolve, reject) => {
      const queued = replies.shift();
      if (queued) resolve(queued);
      else {
        waiting.push(resolve);
        setTimeout(() => {
          reject(new Error('no reply within 2 s'));
        }, 2000).unref();
      }
    });
  return { socket, replies, next };
}

function sendTo(socket: Socket, port: number, bytes: Uint8Array = DISCOVER): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(bytes, port, '127.0.0.1', (error) => {
      if (error) reject(error);
      else resolve();
    });
  });
}

describe('DhcpListener', () => {
  it('serves 67 and 4011 on sockets of their own and replies from the socket the request came in on', async () => {
    const t = setup();
    await t.start();
    const ports = t.listener.boundPorts;
    const c = await client();
    await sendTo(c.socket, ports.get(67)!);
    expect([...(await c.next())]).toEqual([67]);
    await sendTo(c.socket, ports.get(4011)!);
    expect([...(await c.next())]).toEqual([41]);
    expect(t.exchanges.map((e) => [e.localPort, e.interfaceName, e.interfaceAddress])).toEqual([
      [67, 'eth-test', '192.0.2.1'],
      [4011, 'eth-test', '192.0.2.1'],
    ]);
    expect(t.listener.name).toBe('dhcp:eth-test');
    expect(t.listener.interfaceAddress).toBe('192.0.2.1');
  });

  it('lets an exchange in flight finish and send its reply on stop, dropping what arrives meanwhile', async () => {
    let release: () => void = () => undefined;
    const t = setup({
      handler: (exchange) =>
        new Promise<DhcpOutcome>((resolve) => {
          release = () => {
            void echoToSource(exchange).then(resolve);
          };
        }),
    });
    await t.start();
    const port = t.listener.boundPorts.get(67)!;
    const c = await client();
    await sendTo(c.socket, port);
    await waitUntil(() => t.exchanges.length === 1);
    const stopped = t.listener.stop();
    await sendTo(c.socket, port);
    await waitUntil(async () => (await dropped(t.metrics, 'stopping')) === 1);
    release();
    await stopped;
    expect([...(await c.next())]).toEqual([67]);
    expect(t.listener.boundPorts.size).toBe(0);
  });

  it('closes its sockets after drainTimeoutMs even if the engine never answers', async () => {
    const t = setup({ handler: () => new Promise<DhcpOutcome>(() => undefined) });
    await t.start();
    const c = await client();
    await sendTo(c.socket, t.listener.boundPorts.get(67)!);
    await waitUntil(() => t.exchanges.length === 1);
    let stopped = false;
    void t.listener.stop().then(() => {
      stopped = true;
    });
    await t.clock.advance(1999);
    expect(stopped).toBe(false);
    await t.clock.advance(1);
    await waitUntil(() => stopped);
  });

  it('closes the sockets it opened when a later port cannot be opened', async () => {
    const plug = loopbackAddon({ failPort: 4011 });
    const t = setup({ addon: plug.addon });
    const before = readdirSync('/proc/self/fd').length;
    await expect(t.start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await waitUntil(() => readdirSync('/proc/self/fd').length === before);
    // And it can start again once the port is free.
    const again = setup();
    await again.start();
  });

  it('asks for a restart once when the interface disappears, and stops watching', async () => {
    const t = setup();
    await t.start();
    await t.clock.advance(1000);
    expect(t.failures).toEqual([]);
    t.plug.unplug();
    await t.clock.advance(1000);
    expect(t.failures).toHaveLength(1);
    expect(String(t.failures[0])).toMatch(/dhcp:eth-test: interface eth-test changed: .*No such device/);
    await t.clock.advance(5000);
    expect(t.failures).toHaveLength(1);
    expect(t.clock.pendingTimers()).toBe(0);
  });

  it('asks for a restart when the interface address changes, and serves the new one after it', async () => {
    const t = setup();
    await t.start();
    t.setAddress('192.0.2.99');
    await t.clock.advance(1000);
    expect(String(t.failures[0])).toContain('its IPv4 address changed from 192.0.2.1 to 192.0.2.99');
    await t.listener.stop();
    await t.start();
    expect(t.listener.interfaceAddress).toBe('192.0.2.99');
  });

  it('does not watch the address when it was configured', async () => {
    const t = setup({ interfaceAddress: '198.51.100.1' as Ipv4 });
    await t.start();
    t.setAddress('192.0.2.99');
    await t.clock.advance(3000);
    expect(t.failures).toEqual([]);
    expect(t.listener.interfaceAddress).toBe('198.51.100.1');
  });

  it('refuses to start twice', async () => {
    const t = setup();
    await t.start();
    await expect(t.start()).rejects.toThrow('dhcp:eth-test is already started');
  });

  it('creates one listener per configured interface', () => {
    const common = {
      handler: echoToSource,
      logger: memoryLogger().logger,
      metrics: createMetrics({ processMetrics: false }),
      clock: new FakeClock(),
    };
    expect(createDhcpListeners(['eth1', 'eth2'], common).map((l) => l.name)).toEqual([
      'dhcp:eth1',
      'dhcp:eth2',
    ]);
  });
});

async function dropped(metrics: ReturnType<typeof createMetrics>, reason: string): Promise<number> {
  return metricValue(await metrics.metrics(), 'fleetboot_dhcp_dropped_total', { reason });
}

/** Polls a condition on real time (sockets are real here); bounded to 2 s. */
async function waitUntil(condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition not met within 2 s');
}
