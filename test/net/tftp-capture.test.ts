// What a TFTP transfer shows of itself in the machine's boot capture (issue 6 item 5, net/tftp-capture.ts): the
// server's tap against real UDP on loopback, a fake clock for the retransmissions.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TappedDatagram } from '../../src/net/capture-tap.js';
import { MAX_SAMPLED_REPEATS } from '../../src/net/tftp-capture.js';
import { decodeTftpPacket } from '../../src/protocol/tftp/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { tftpGet } from './tftp-fixtures/client.js';
import { makeTree, patterned, type TftpTree } from './tftp-fixtures/fs.js';
import { type Harness, RawPeer, settle, startHarness, stopAdvancing } from './tftp-fixtures/harness.js';
import { ack, error, rrq } from './tftp-fixtures/packets.js';

let tree: TftpTree;
let clock: FakeClock;
let h: Harness | undefined;
let tapped: TappedDatagram[];
const peers: RawPeer[] = [];

beforeEach(() => {
  tree = makeTree();
  tree.write('pxelinux.0', patterned(1500, 7)); // blocks of 512: 512, 512, 476
  tree.write('kernel', patterned(20 * 1468 - 100, 8)); // blocks of 1468: 19 whole, the 20th of 1368
  clock = new FakeClock();
  tapped = [];
});

afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.close();
  if (h !== undefined) await stopAdvancing(h, clock);
  h = undefined;
  tree.remove();
});

async function start(settings: { retries?: number } = {}): Promise<Harness> {
  h = await startHarness({
    clock,
    roots: [tree.root],
    settings,
    capture: (datagram) => tapped.push(datagram),
  });
  return h;
}

async function peer(): Promise<RawPeer> {
  const p = await RawPeer.open();
  peers.push(p);
  return p;
}

/** A tapped datagram as a line: direction, packet, and the DATA's length on the wire when it was summarised. */
function line(d: TappedDatagram): string {
  const kept = d.payload.length < d.payloadLength ? ` [${d.payloadLength} on the wire]` : '';
  if (d.payload.length === 4 && d.payload[1] === 3) {
    return `${d.direction} DATA ${((d.payload[2] ?? 0) << 8) | (d.payload[3] ?? 0)}${kept}`;
  }
  const p = decodeTftpPacket(d.payload);
  switch (p.kind) {
    case 'rrq':
      return `${d.direction} RRQ ${p.filename}`;
    case 'oack':
      return `${d.direction} OACK ${p.options.map((o) => `${o.name}=${o.value}`).join(' ')}`;
    case 'ack':
      return `${d.direction} ACK ${p.block}`;
    case 'error':
      return `${d.direction} ERROR ${p.code}`;
    case 'data':
    case 'wrq':
      return `${d.direction} ${p.kind}`;
  }
}

/** In the order they happened (a transfer's last ACK is added when it ends, with the time it came). */
const timeline = () =>
  tapped
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.at - b.d.at || a.i - b.i)
    .map(({ d }) => line(d));

describe('TFTP capture', () => {
  it('keeps a lock-step transfer as its RRQ, first and final DATA with their ACKs, at their real sizes', async () => {
    const harness = await start();
    const result = await tftpGet({
      server: { address: '127.0.0.1', port: harness.port },
      file: 'pxelinux.0',
    });
    expect(result.ok).toBe(true);
    await harness.nextRecord();
    expect(tapped.map(line)).toEqual([
      'in RRQ pxelinux.0',
      'out DATA 1 [516 on the wire]',
      'in ACK 1',
      'out DATA 3 [480 on the wire]',
      'in ACK 3',
    ]);
    // Addresses as the sockets had them: the RRQ to the listening port, the rest from the transfer's own port.
    const [request, data] = tapped;
    expect(request?.destination).toEqual({ address: '127.0.0.1', port: harness.port });
    expect(data?.source.address).toBe('127.0.0.1');
    expect(data?.source.port).not.toBe(harness.port);
    expect(data?.destination).toEqual(request?.source);
    expect(
      new Set(tapped.slice(1).map((d) => (d.direction === 'out' ? d.source : d.destination).port)).size,
    ).toBe(1);
  });

  it('keeps the OACK and its ACK 0 of a windowed transfer, then the first ACK of a window and the final one', async () => {
    const harness = await start();
    const result = await tftpGet({
      server: { address: '127.0.0.1', port: harness.port },
      file: 'kernel',
      blksize: 1468,
      windowsize: 4,
      tsize: true,
    });
    expect(result.ok).toBe(true);
    await harness.nextRecord();
    expect(tapped.map(line)).toEqual([
      'in RRQ kernel',
      `out OACK blksize=1468 tsize=${20 * 1468 - 100} windowsize=4`,
      'in ACK 0',
      'out DATA 1 [1472 on the wire]',
      'in ACK 4',
      'out DATA 20 [1372 on the wire]',
      'in ACK 20',
    ]);
  });

  it('keeps every retransmission and, on a timeout, the last ACK: where the transfer stopped', async () => {
    tree.write('big', patterned(10 * 512, 9));
    const harness = await start({ retries: 2 });
    const p = await peer();
    await p.send(rrq('big'), harness.port);
    let packet = await p.next();
    for (let block = 1; block <= 3; block++) {
      await p.send(ack(block), packet.port);
      packet = await p.next();
    } // DATA 4, then silence
    const record = harness.nextRecord();
    for (let i = 0; i < 10 && harness.server.inFlight() > 0; i++) {
      await clock.advance(8000);
      await settle(10);
    }
    expect((await record).result).toEqual({ kind: 'timeout' });
    expect(timeline()).toEqual([
      'in RRQ big',
      'out DATA 1 [516 on the wire]',
      'in ACK 1',
      'in ACK 3', // added at the end: the last the client said
      'out DATA 4 [516 on the wire]', // its first send is a middle block, not kept; its two retransmissions are
      'out DATA 4 [516 on the wire]',
    ]);
  });

  it('adds the last DATA and ACK of a transfer the client ends with an ERROR, and the ERROR itself', async () => {
    tree.write('big', patterned(10 * 512, 9));
    const harness = await start();
    const p = await peer();
    await p.send(rrq('big'), harness.port);
    let packet = await p.next();
    for (let block = 1; block <= 4; block++) {
      await p.send(ack(block), packet.port);
      packet = await p.next();
    }
    await p.send(error(0, 'disk full'), packet.port);
    await harness.nextRecord();
    expect(timeline()).toEqual([
      'in RRQ big',
      'out DATA 1 [516 on the wire]',
      'in ACK 1',
      'in ACK 4',
      'out DATA 5 [516 on the wire]',
      'in ERROR 0',
    ]);
  });

  it(`keeps at most ${MAX_SAMPLED_REPEATS} duplicate ACKs of a transfer`, async () => {
    tree.write('big', patterned(10 * 512, 9));
    const harness = await start();
    const p = await peer();
    await p.send(rrq('big'), harness.port);
    const packet = await p.next();
    await p.send(ack(1), packet.port);
    await p.next();
    for (let i = 0; i < MAX_SAMPLED_REPEATS + 10; i++) await p.send(ack(1), packet.port);
    await settle(100);
    expect(tapped.filter((d) => line(d) === 'in ACK 1')).toHaveLength(1 + MAX_SAMPLED_REPEATS);
  });

  it('keeps a refused request and its ERROR, from the transfer port', async () => {
    const harness = await start();
    const result = await tftpGet({ server: { address: '127.0.0.1', port: harness.port }, file: 'missing' });
    expect(result.error).toMatchObject({ code: 1 });
    await harness.nextRecord();
    expect(tapped.map(line)).toEqual(['in RRQ missing', 'out ERROR 1']);
    expect(tapped[1]?.source.port).not.toBe(harness.port);
  });

  it('serves on when the tap throws', async () => {
    h = await startHarness({
      clock,
      roots: [tree.root],
      capture: () => {
        throw new Error('broken tap');
      },
    });
    const result = await tftpGet({ server: { address: '127.0.0.1', port: h.port }, file: 'pxelinux.0' });
    expect(result.ok).toBe(true);
  });
});
