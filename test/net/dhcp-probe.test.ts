// The probe's transport and the whole segment probe on the loopback interface of the test's own namespace, with a
// small DHCP "server" of the test's own on 127.0.0.2 and ephemeral ports: how many DISCOVERs leave, what ends the
// probe, and that our own answers are not taken for another server's.
import { createSocket, type Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeDiscover } from '../../src/dhcp/probe/discover.js';
import { probeSegment } from '../../src/dhcp/probe/segment.js';
import { systemClock } from '../../src/net/clock.js';
import { type DhcpProbeTiming, runDhcpProbe } from '../../src/net/dhcp-probe.js';
import type { InterfaceTable } from '../../src/net/udp-interface-address.js';
import {
  decodeDhcpMessage,
  type DhcpMessage,
  encodeDhcpMessage,
  replyTo,
} from '../../src/protocol/dhcp4/index.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { memoryLogger } from '../support/logger.js';

const DISCOVER = encodeDhcpMessage(probeDiscover({ mac: parseMac('52:54:00:00:00:01'), transactionId: 42 }));
// The wait is long enough for every answer on a loaded machine: the tests count what was heard in the whole wait.
const TIMING: DhcpProbeTiming = { attempts: 3, intervalMs: 40, waitMs: 1500 };
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

/** A UDP socket on 127.0.0.2 that answers each DISCOVER with what `answer` makes of it (nothing when undefined). */
async function fakeServer(answer: (discover: DhcpMessage) => Uint8Array[] | undefined) {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const seen: DhcpMessage[] = [];
  socket.on('message', (bytes, remote) => {
    const discover = decodeDhcpMessage(bytes);
    seen.push(discover);
    for (const reply of answer(discover) ?? []) socket.send(reply, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.2', resolve));
  return { seen, destination: { address: '127.0.0.2', port: socket.address().port } };
}

function offerFrom(server: string, discover: DhcpMessage): Uint8Array {
  const base = replyTo(discover, 'offer');
  return encodeDhcpMessage({
    ...base,
    yourAddress: parseIpv4('198.18.0.150'),
    options: { ...base.options, serverIdentifier: parseIpv4(server) },
  });
}

/** A probe of the whole wait against `destination`, with what onMessage was shown. */
async function listenAll(
  destination: { address: string; port: number },
  skip?: (bytes: Uint8Array) => boolean,
) {
  const heard: DhcpMessage[] = [];
  const result = await runDhcpProbe({
    ...(skip === undefined ? {} : { skip }),
    interfaceName: 'lo',
    request: DISCOVER,
    timing: TIMING,
    clock: systemClock,
    logger: memoryLogger('debug').logger,
    clientPort: 0,
    destination,
    onMessage: (message) => {
      heard.push(message);
      return false;
    },
  });
  return { result, heard };
}

describe('runDhcpProbe', () => {
  it('sends every attempt and listens the whole wait when told to go on', async () => {
    const server = await fakeServer((d) => [offerFrom('198.18.0.2', d), Uint8Array.of(1, 2, 3)]);
    const { result, heard } = await listenAll(server.destination);
    expect(server.seen).toHaveLength(3);
    expect(result).toMatchObject({ sent: 3, received: 6, undecodable: 3, endedEarly: false });
    expect(heard).toHaveLength(3);
  });

  it('counts what skip sets aside as received, and neither decodes it nor shows it to onMessage', async () => {
    // Each answer: a foreign OFFER, and a datagram that would not decode (skip sets it aside before the decoder).
    const server = await fakeServer((d) => [offerFrom('198.18.0.2', d), Uint8Array.of(2, 0xee)]);
    const skipped: string[] = [];
    const { result, heard } = await listenAll(server.destination, (bytes) => {
      const aside = bytes.length === 2;
      if (aside) skipped.push('short');
      return aside;
    });
    expect(result).toMatchObject({ sent: 3, received: 6, undecodable: 0 });
    expect(skipped).toHaveLength(3);
    expect(heard.map((m) => m.options.serverIdentifier)).toEqual(Array(3).fill('198.18.0.2'));
  });

  it('ends at once when onMessage says so, sending no more DISCOVERs', async () => {
    const server = await fakeServer((d) => [offerFrom('198.18.0.2', d)]);
    const result = await runDhcpProbe({
      interfaceName: 'lo',
      request: DISCOVER,
      timing: { attempts: 3, intervalMs: 1000, waitMs: 5000 },
      clock: systemClock,
      logger: memoryLogger('debug').logger,
      clientPort: 0,
      destination: server.destination,
      onMessage: () => true,
    });
    expect(result).toMatchObject({ sent: 1, received: 1, endedEarly: true });
    expect(server.seen).toHaveLength(1);
  });

  it('shares the client port with a DHCP client on the host (ISC dhclient: 0.0.0.0:68, SO_REUSEADDR)', async () => {
    const dhclientLike = createSocket({ type: 'udp4', reuseAddr: true });
    sockets.push(dhclientLike);
    await new Promise<void>((resolve) => dhclientLike.bind(0, '0.0.0.0', resolve));
    const server = await fakeServer(() => undefined);
    const result = await runDhcpProbe({
      interfaceName: 'lo',
      request: DISCOVER,
      timing: { attempts: 1, intervalMs: 0, waitMs: 50 },
      clock: systemClock,
      logger: memoryLogger('debug').logger,
      clientPort: dhclientLike.address().port,
      destination: server.destination,
      onMessage: () => false,
    });
    expect(result.sent).toBe(1);
    // The fake server's socket is read on a later turn of the event loop than the probe's send returned on.
    await vi.waitFor(() => {
      expect(server.seen).toHaveLength(1);
    }, 5000);
  });

  it('fails, saying why, when no DISCOVER could be sent', async () => {
    const { logger, lines } = memoryLogger('debug');
    const failed = runDhcpProbe({
      interfaceName: 'lo',
      request: DISCOVER,
      timing: { attempts: 2, intervalMs: 10, waitMs: 50 },
      clock: systemClock,
      logger,
      clientPort: 0,
      destination: { address: '127.0.0.2', port: 0 }, // port 0: dgram refuses every send
      onMessage: () => false,
    });
    await expect(failed).rejects.toThrow(/the DHCP probe on lo could not send a DISCOVER: .*port/i);
    expect(lines().filter((l) => l.msg === 'DHCP probe: a DISCOVER could not be sent')).toHaveLength(2);
  });

  it('refuses timings that could not send every attempt inside the wait', async () => {
    const probe = runDhcpProbe({
      interfaceName: 'lo',
      request: new Uint8Array(300),
      timing: { attempts: 3, intervalMs: 100, waitMs: 200 },
      clock: systemClock,
      logger: memoryLogger('debug').logger,
      onMessage: () => false,
    });
    await expect(probe).rejects.toBeInstanceOf(RangeError);
  });
});

describe('probeSegment', () => {
  // lo as a segment whose MAC is a real one (the kernel's lo has 00:00:00:00:00:00) and whose only address is
  // 127.0.0.1, so the fake server on 127.0.0.2 is "another host".
  const table = (): InterfaceTable => ({
    lo: (networkInterfaces().lo ?? [])
      .filter((i) => i.family === 'IPv4')
      .map((i) => ({ ...i, mac: '52:54:00:00:00:7f' })),
  });

  const probeLo = (destination: { address: string; port: number }, stopAtFirst: boolean) =>
    probeSegment({
      interfaceName: 'lo',
      clock: systemClock,
      logger: memoryLogger('debug').logger,
      timing: TIMING,
      stopAtFirst,
      interfaces: table,
      clientPort: 0,
      destination,
    });

  it('names another server that answers, and ignores our own server answering the same probe', async () => {
    const server = await fakeServer((d) => [offerFrom('127.0.0.1', d), offerFrom('198.18.0.2', d)]);
    const found = await probeLo(server.destination, false);
    expect(found.servers).toEqual([
      {
        server: '198.18.0.2',
        source: '127.0.0.2',
        offered: '198.18.0.150',
        type: 'offer',
        answeredProbe: true,
      },
    ]);
    // Each DISCOVER came from the interface's MAC, with one xid for all three (a client's retransmission).
    expect(server.seen.map((d) => Buffer.from(d.clientHardwareAddress).toString('hex'))).toEqual(
      Array(3).fill('52540000007f'),
    );
    expect(new Set(server.seen.map((d) => d.transactionId)).size).toBe(1);
  });

  it('finds nothing where only our own server answers', async () => {
    const server = await fakeServer((d) => [offerFrom('127.0.0.1', d)]);
    const found = await probeLo(server.destination, true);
    expect(found.servers).toEqual([]);
    expect(found.transport).toMatchObject({ sent: 3, received: 3, endedEarly: false });
  });

  it('says so when the interface has no address to probe from', async () => {
    const probe = probeSegment({
      interfaceName: 'fbnone0',
      clock: systemClock,
      logger: memoryLogger('debug').logger,
      stopAtFirst: true,
      interfaces: table,
    });
    await expect(probe).rejects.toThrow(/cannot probe fbnone0 for another DHCP server/);
  });
});
