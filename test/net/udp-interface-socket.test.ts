// openInterfaceSocket on the loopback interface of the test's own namespace, ephemeral ports: the socket is pinned,
// adopted by dgram, sized, and every way it can fail says what to do.
import { createSocket } from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type InterfaceTable,
  interfaceIpv4,
  ipv4InterfaceNames,
} from '../../src/net/udp-interface-address.js';
import {
  type InterfaceSocket,
  InterfaceSocketError,
  openInterfaceSocket,
} from '../../src/net/udp-interface-socket.js';
import type { Ipv4 } from '../../src/values/ipv4.js';
import { memoryLogger } from '../support/logger.js';

const opened: InterfaceSocket[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function open(options: Partial<Parameters<typeof openInterfaceSocket>[0]> = {}) {
  const { logger, lines } = memoryLogger('info');
  const socket = await openInterfaceSocket({ interfaceName: 'lo', port: 0, logger, ...options });
  opened.push(socket);
  return { socket, lines };
}

async function failure(promise: Promise<unknown>): Promise<InterfaceSocketError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InterfaceSocketError);
  return error as InterfaceSocketError;
}

const openDescriptors = () => readdirSync('/proc/self/fd').length;
const rmemMax = () => Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));

describe('openInterfaceSocket', () => {
  it('opens a pinned socket on 0.0.0.0 that dgram reads from, with the interface address beside it', async () => {
    const { socket } = await open();
    expect(socket.boundDevice()).toBe('lo');
    expect(socket.interfaceAddress).toBe('127.0.0.1');
    expect(socket.socket.address()).toMatchObject({ address: '0.0.0.0', port: socket.port });
    const received = new Promise<string>((resolve) => {
      socket.socket.once('message', (message) => {
        resolve(message.toString());
      });
    });
    const sender = createSocket('udp4');
    sender.send('hello', socket.port, '127.0.0.1', () => sender.close());
    expect(await received).toBe('hello');
  });

  it('asks for 4 MiB of receive buffer, reads back what the kernel granted, and logs it', async () => {
    const { socket, lines } = await open();
    const granted = Math.min(4 * 1024 * 1024, rmemMax());
    expect(socket.receiveBuffer).toEqual({ requested: 4 * 1024 * 1024, granted });
    const info = lines().find((l) => l['level'] === 30);
    expect(info).toMatchObject({ interface: 'lo', port: socket.port, receiveBuffer: socket.receiveBuffer });
  });

  it('warns with the sysctl to raise when the kernel caps the buffer below the request', async () => {
    const requested = rmemMax() * 2;
    const { socket, lines } = await open({ receiveBufferBytes: requested });
    expect(socket.receiveBuffer).toEqual({ requested, granted: rmemMax() });
    const warning = lines().find((l) => l['level'] === 40);
    expect(warning?.['msg']).toContain(`sysctl -w net.core.rmem_max=${requested}`);
  });

  it('uses the address it is given instead of looking one up', async () => {
    const { socket } = await open({ interfaceAddress: '192.0.2.1' as Ipv4 });
    expect(socket.interfaceAddress).toBe('192.0.2.1');
  });

  it('says when the interface does not exist, and which ones do', async () => {
    const error = await failure(open({ interfaceName: 'fbnosuch0' }));
    expect(error.code).toBe('ENODEV');
    expect(error.message).toMatch(
      /^interface fbnosuch0 does not exist here \(interfaces with IPv4: .*lo.*\); check dhcp.interfaces$/,
    );
  });

  it('says when the interface has no IPv4 address, and leaks no descriptor', async () => {
    const before = openDescriptors();
    const error = await failure(open({ interfaces: () => ({}) }));
    expect(error.code).toBe('ENOADDR');
    expect(error.message).toContain('interface lo has no IPv4 address');
    expect(openDescriptors()).toBe(before);
  });

  it('says when another socket holds the port on that interface (no SO_REUSEADDR: no silent sharing)', async () => {
    const { socket } = await open();
    const error = await failure(open({ port: socket.port }));
    expect(error.code).toBe('EADDRINUSE');
    expect(error.message).toContain(`UDP port ${socket.port} is already taken on lo`);
  });

  it('closes idempotently', async () => {
    const { socket } = await open();
    await socket.close();
    await socket.close();
    expect(() => socket.boundDevice()).toThrow('the socket of lo is closed');
  });
});

describe('interfaceIpv4', () => {
  const table: InterfaceTable = {
    eth0: [
      {
        address: 'fe80::1',
        family: 'IPv6',
        internal: false,
        netmask: 'ffff:ffff:ffff:ffff::',
        mac: '52:54:00:00:00:01',
        cidr: 'fe80::1/64',
        scopeid: 2,
      },
      {
        address: '192.0.2.10',
        family: 'IPv4',
        internal: false,
        netmask: '255.255.255.0',
        mac: '52:54:00:00:00:01',
        cidr: '192.0.2.10/24',
      },
      {
        address: '192.0.2.11',
        family: 'IPv4',
        internal: false,
        netmask: '255.255.255.0',
        mac: '52:54:00:00:00:01',
        cidr: '192.0.2.11/24',
      },
    ],
    eth1: [
      {
        address: 'fe80::2',
        family: 'IPv6',
        internal: false,
        netmask: 'ffff:ffff:ffff:ffff::',
        mac: '52:54:00:00:00:02',
        cidr: 'fe80::2/64',
        scopeid: 3,
      },
    ],
  };

  it('takes the first IPv4 address (the primary one), skipping IPv6', () => {
    expect(interfaceIpv4('eth0', table)).toBe('192.0.2.10');
  });

  it('is undefined for an interface with only IPv6, or unknown', () => {
    expect(interfaceIpv4('eth1', table)).toBeUndefined();
    expect(interfaceIpv4('eth9', table)).toBeUndefined();
  });

  it('lists the interfaces that have IPv4', () => {
    expect(ipv4InterfaceNames(table)).toEqual(['eth0']);
  });
});
