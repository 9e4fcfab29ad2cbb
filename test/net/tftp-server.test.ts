import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { VirtualFiles } from '../../src/net/tftp-files.js';
import { loadTftpSocketAddon, type TransferSocketKind } from '../../src/net/tftp-transfer-socket.js';
import { netasciiLength, toNetascii } from '../../src/protocol/tftp/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { sha256, tftpGet, type GetOptions } from './tftp-fixtures/client.js';
import { makeTree, openFds, patterned, type TftpTree } from './tftp-fixtures/fs.js';
import {
  type Harness,
  type HarnessOptions,
  RawPeer,
  settle,
  startHarness,
  stopAdvancing,
} from './tftp-fixtures/harness.js';
import { ack, decode, describe as show, error, rrq } from './tftp-fixtures/packets.js';
import { sendFromPortZero } from './tftp-fixtures/port-zero.js';

let tree: TftpTree;
let clock: FakeClock;
let h: Harness | undefined;
const peers: RawPeer[] = [];
const LOADER = patterned(1500, 7);

beforeEach(() => {
  tree = makeTree();
  tree.write('pxelinux.0', LOADER);
  clock = new FakeClock();
});

afterEach(async () => {
  for (const peer of peers.splice(0)) await peer.close();
  if (h !== undefined) await stopAdvancing(h, clock);
  h = undefined;
  tree.remove();
});

/** Which transfer sockets carry the transfers of the suite running (tftp-transfer-socket.ts): both are tested. */
let transport: TransferSocketKind = 'native';

async function start(options: Partial<HarnessOptions> = {}): Promise<Harness> {
  h = await startHarness({ clock, roots: [tree.root], ...options, tuning: { transport, ...options.tuning } });
  return h;
}

async function peer(address = '127.0.0.1'): Promise<RawPeer> {
  const p = await RawPeer.open(address);
  peers.push(p);
  return p;
}

const get = (harness: Harness, file: string, options: Partial<GetOptions> = {}) =>
  tftpGet({ server: { address: '127.0.0.1', port: harness.port }, file, retransmitMs: 60_000, ...options });

describe.each(['native', 'dgram'] as const)('over %s transfer sockets', (kind) => {
  beforeEach(() => {
    transport = kind;
  });

  describe('TFTP server: transfers', () => {
    it('serves a file without options: DATA 1 first, lock-step, one ok record', async () => {
      const harness = await start();
      const result = await get(harness, 'pxelinux.0');
      expect(result).toMatchObject({ ok: true, bytes: 1500, oack: undefined });
      expect(result.sha256).toBe(sha256(LOADER));
      const record = await harness.nextRecord();
      expect(record).toMatchObject({
        file: 'pxelinux.0',
        path: 'pxelinux.0',
        origin: 'root',
        client: { address: '127.0.0.1', port: expect.any(Number) as number },
        mode: 'octet',
        options: { accepted: [], effective: { blockSize: 512, windowSize: 1 } },
        size: 1500,
        bytes: 1500,
        blocks: 3,
        retransmits: 0,
        result: { kind: 'ok' },
      });
      expect(harness.records).toHaveLength(1);
    });

    it('answers with an OACK of the options asked for only, blksize capped to the MTU, tsize the size', async () => {
      const harness = await start();
      const p = await peer();
      await p.send(
        rrq('pxelinux.0', { blksize: '65464', tsize: '0', windowsize: '64', timeout: '3' }),
        harness.port,
      );
      expect(show((await p.next()).bytes)).toBe('OACK blksize=1468 tsize=1500 windowsize=16 timeout=3');
      const oack = await p.next(200).catch(() => undefined);
      expect(oack).toBeUndefined(); // nothing but the OACK before ACK 0 (T21)
      const result = await get(harness, 'pxelinux.0', { blksize: 65464, tsize: true, windowsize: 64 });
      expect(result.sha256).toBe(sha256(LOADER));
    });

    it('sends every block once when each window is acknowledged whole, and nothing after the end', async () => {
      const content = patterned(22 * 512 + 100, 3);
      tree.write('kernel', content);
      const harness = await start();
      const p = await peer();
      await p.send(rrq('kernel', { blksize: '512', windowsize: '4' }), harness.port);
      const oack = await p.next();
      expect(show(oack.bytes)).toBe('OACK blksize=512 windowsize=4');
      const blocks: string[] = [];
      const parts: Buffer[] = [];
      let acknowledged = 0;
      while (acknowledged < 23) {
        await p.send(ack(acknowledged), oack.port);
        for (let i = 0; i < Math.min(4, 23 - acknowledged); i++) {
          const data = await p.next();
          blocks.push(show(data.bytes));
          parts.push(data.bytes.subarray(4));
        }
        acknowledged = Math.min(acknowledged + 4, 23);
      }
      await p.send(ack(23), oack.port);
      expect(await p.maybeNext(200)).toBeUndefined(); // nothing sent twice, nothing after the end
      expect(blocks).toEqual(
        Array.from({ length: 23 }, (_, i) => `DATA ${String(i + 1)} (${String(i === 22 ? 100 : 512)})`),
      );
      expect(Buffer.concat(parts)).toEqual(Buffer.from(content));
      expect(await harness.nextRecord()).toMatchObject({
        result: { kind: 'ok' },
        blocks: 23,
        retransmits: 0,
      });
    });

    it('drops datagrams from UDP port 0, which cannot be answered, on port 69 and mid-transfer', async () => {
      tree.write('kernel', patterned(3 * 512 + 7));
      const harness = await start();
      sendFromPortZero(rrq('pxelinux.0'), harness.port);
      sendFromPortZero(Buffer.from([0, 2, 0x61, 0, 0x6f, 0x63, 0x74, 0x65, 0x74, 0]), harness.port); // a WRQ
      const p = await peer();
      await p.send(rrq('kernel'), harness.port);
      let packet = await p.next();
      sendFromPortZero(ack(1), packet.port); // a stranger's TID that cannot be answered with ERROR 5
      for (let block = 1; block <= 4; block++) {
        await p.send(ack(block), packet.port);
        if (block < 4) packet = await p.next();
      }
      expect(await harness.nextRecord()).toMatchObject({ file: 'kernel', result: { kind: 'ok' } });
      expect(harness.records).toHaveLength(1);
      expect(await harness.metric('fleetboot_tftp_dropped_total', { reason: 'source-port-zero' })).toBe(2);
      expect(await harness.metric('fleetboot_tftp_ignored_total', { reason: 'source-port-zero' })).toBe(1);
      expect(await harness.metric('fleetboot_tftp_errors_total', { code: '5', direction: 'sent' })).toBe(0);
    });

    it('uses the transfer sockets configured (tftp.transport), and says which at start', async () => {
      const configured = kind === 'native' ? 'dgram' : 'native';
      const harness = await startHarness({ clock, roots: [tree.root], settings: { transport: configured } });
      h = harness;
      expect((await get(harness, 'pxelinux.0')).sha256).toBe(sha256(LOADER));
      const listening = harness.logs().find((l) => l.msg === 'TFTP listening');
      expect(listening?.transport).toBe(configured);
    });

    it('refuses a busy-poll window out of range at creation, rather than falling back to dgram', async () => {
      for (const busyPoll of [-1, 1.5, 1_000_001]) {
        await expect(startHarness({ clock, roots: [tree.root], settings: { busyPoll } })).rejects.toThrow(
          RangeError,
        );
      }
    });

    it('keeps its loop polling for tftp.busyPoll µs after a datagram of a native lock-step transfer only', async () => {
      // The window is per thread (native/busy_poll.c): each server made here sets it, to 0 unless configured.
      const addon = loadTftpSocketAddon();
      tree.write('menu.cfg', Buffer.from('DEFAULT menu\nLABEL a\n'.repeat(400)));
      // 21 blocks of 512 at windowsize 4: after the first window, the autopilot sends the next ones.
      const kernel = patterned(20 * 512 + 1, 5);
      tree.write('kernel', kernel);
      try {
        const harness = await start({ settings: { busyPoll: 1_000_000 } });
        // Windowed transfers, sent by the autopilot (a file in memory) or by JavaScript (netascii): none polls.
        expect((await get(harness, 'kernel', { blksize: 512, windowsize: 4 })).sha256).toBe(sha256(kernel));
        expect((await get(harness, 'menu.cfg', { mode: 'netascii', blksize: 512, windowsize: 4 })).ok).toBe(
          true,
        );
        expect(addon.busyPolling()).toBe(false);
        expect((await get(harness, 'menu.cfg', { mode: 'netascii' })).ok).toBe(true);
        // Node's dgram sockets have no such window.
        expect(addon.busyPolling()).toBe(kind === 'native');
        // And a lock-step file in memory, its blocks sent by the autopilot, from a window closed first.
        addon.busyPoll(0);
        addon.busyPoll(1_000_000);
        expect((await get(harness, 'pxelinux.0')).sha256).toBe(sha256(LOADER));
        expect(addon.busyPolling()).toBe(kind === 'native');
      } finally {
        addon.busyPoll(0);
      }
    });

    it('keeps one retransmission timer while the autopilot carries the transfer, and never retransmits early', async () => {
      // Lock-step, 41 blocks; fake time moves 600 ms every 5 ACKs, so the 1 s timer fires while the socket's
      // autopilot has ACKs the transfer has not heard of: it must take them, move its deadline, and not start a
      // second timer (nor retransmit: the client has been answering all along).
      tree.write('kernel', patterned(40 * 512 + 1, 4));
      const harness = await start();
      const p = await peer();
      await p.send(rrq('kernel'), harness.port);
      let packet = await p.next();
      let most = 0;
      for (let block = 1; block <= 41; block++) {
        await p.send(ack(block), packet.port);
        if (block < 41) packet = await p.next();
        if (block % 5 === 0) await clock.advance(600);
        most = Math.max(most, clock.pendingTimers());
      }
      expect(await harness.nextRecord()).toMatchObject({
        result: { kind: 'ok' },
        blocks: 41,
        retransmits: 0,
      });
      expect(most).toBe(1);
      expect(clock.pendingTimers()).toBe(0);
    });

    it('resumes after the block a partial ACK names while the autopilot carries the transfer (RFC 7440 §4)', async () => {
      const content = patterned(40 * 512, 5);
      tree.write('kernel', content);
      const harness = await start();
      const p = await peer();
      await p.send(rrq('kernel', { windowsize: '4' }), harness.port);
      const oack = await p.next();
      expect(decode(oack.bytes)).toMatchObject({ kind: 'oack' });
      const take = async (count: number) => {
        const blocks: number[] = [];
        for (let i = 0; i < count; i++) {
          const packet = decode((await p.next()).bytes);
          if (packet.kind === 'data') blocks.push(packet.block);
        }
        return blocks;
      };
      await p.send(ack(0), oack.port);
      expect(await take(4)).toEqual([1, 2, 3, 4]);
      for (const last of [4, 8, 12]) {
        await p.send(ack(last), oack.port); // whole windows: the autopilot's from the second on
        expect(await take(4)).toEqual([last + 1, last + 2, last + 3, last + 4]);
      }
      await p.send(ack(14), oack.port); // blocks 15 and 16 lost: the next window starts after 14
      expect(await take(4)).toEqual([15, 16, 17, 18]);
      for (let last = 18; last < 40; last += 4) {
        await p.send(ack(last), oack.port);
        expect(await take(Math.min(4, 40 - last + 1))).toEqual(
          [1, 2, 3, 4].map((k) => last + k).filter((b) => b <= 41),
        );
      }
      await p.send(ack(41), oack.port); // the empty final block after an exact multiple
      expect(await harness.nextRecord()).toMatchObject({
        result: { kind: 'ok' },
        blocks: 41,
        bytes: content.length,
      });
      expect(await p.maybeNext(100)).toBeUndefined();
    });

    it("a stranger and then the client's ERROR, while the autopilot holds unreported ACKs, end it with every block counted", async () => {
      tree.write('kernel', patterned(100 * 512, 6));
      const harness = await start();
      const p = await peer();
      const intruder = await peer();
      await p.send(rrq('kernel'), harness.port);
      let packet = await p.next();
      for (let block = 1; block <= 20; block++) {
        await p.send(ack(block), packet.port);
        packet = await p.next();
      }
      expect(decode(packet.bytes)).toMatchObject({ kind: 'data', block: 21 });
      await intruder.send(ack(21), packet.port); // RFC 1350 §4: ERROR 5 to it, the transfer goes on
      expect(decode((await intruder.next()).bytes)).toMatchObject({ kind: 'error', code: 5 });
      await p.send(ack(21), packet.port);
      expect(decode((await p.next()).bytes)).toMatchObject({ kind: 'data', block: 22 });
      await p.send(ack(22), packet.port);
      expect(decode((await p.next()).bytes)).toMatchObject({ kind: 'data', block: 23 });
      await p.send(error(0, 'cancelled'), packet.port);
      expect(await harness.nextRecord()).toMatchObject({
        result: { kind: 'error', from: 'client', code: 0 },
        blocks: 22, // acknowledged
        bytes: 22 * 512,
        retransmits: 0,
      });
      expect(await harness.metric('fleetboot_tftp_bytes_total')).toBe(23 * 512); // sent
    });

    it('caps blksize at the configured size and at mtu − 32', async () => {
      const harness = await start({ mtu: 9000, settings: { blocksize: 4096 } });
      const result = await get(harness, 'pxelinux.0', { blksize: 8192 });
      expect(result.oack).toEqual({ blksize: '4096' });
      await stopAdvancing(harness, clock);
      const small = await start({ mtu: 576 });
      expect((await get(small, 'pxelinux.0', { blksize: 1468 })).oack).toEqual({ blksize: '544' });
    });

    it('T12: shrinks the window so one window carries at most 64 KiB (blksize 65464 × windowsize 65535)', async () => {
      tree.write('large', patterned(200_000));
      const harness = await start({ mtu: 65535, settings: { blocksize: 65464, windowsize: 64 } });
      const grant = async (blksize: number, windowsize: number) =>
        (await get(harness, 'large', { blksize, windowsize })).oack;
      expect(await grant(65464, 65535)).toEqual({ blksize: '65464', windowsize: '1' });
      expect(await grant(8192, 16)).toEqual({ blksize: '8192', windowsize: '8' });
      expect(await grant(1468, 64)).toEqual({ blksize: '1468', windowsize: '44' });
      expect(await grant(512, 64)).toEqual({ blksize: '512', windowsize: '64' });
    });

    it('serves netascii: LF as CR LF, CR as CR NUL, the last block by the converted length, no tsize', async () => {
      const text = Buffer.from('DEFAULT menu\nLABEL a\r\n\tKERNEL x\r'.repeat(40));
      tree.write('menu.cfg', text);
      const harness = await start();
      const result = await get(harness, 'menu.cfg', {
        mode: 'netascii',
        keep: true,
        tsize: true,
        blksize: 100,
      });
      expect(result.oack).toEqual({ blksize: '100' });
      expect(Buffer.from(result.data ?? [])).toEqual(Buffer.from(toNetascii(text)));
      expect((await harness.nextRecord()).size).toBe(netasciiLength(text));
    });

    it('sends one empty block for an empty file, and an empty final block after an exact multiple', async () => {
      tree.write('empty', '');
      tree.write('exact', patterned(1024));
      const harness = await start();
      expect(await get(harness, 'empty')).toMatchObject({ ok: true, bytes: 0 });
      expect(await harness.nextRecord()).toMatchObject({ blocks: 1, result: { kind: 'ok' } });
      expect(await get(harness, 'exact')).toMatchObject({ ok: true, bytes: 1024 });
      expect(await harness.nextRecord()).toMatchObject({ blocks: 3, bytes: 1024 });
    });

    it('windows of 16 and blocks of 1468 deliver a file intact', async () => {
      const content = patterned(300_000, 3);
      tree.write('kernel', content);
      const harness = await start();
      const result = await get(harness, 'kernel', { blksize: 1468, windowsize: 16, tsize: true });
      expect(result.oack).toEqual({ blksize: '1468', tsize: '300000', windowsize: '16' });
      expect(result.sha256).toBe(sha256(content));
    });

    it('T20: rolls block numbers over 65535 → 0 for a file over 32 MiB at blksize 512', async () => {
      const size = 65536 * 512 + 700;
      const content = patterned(size, 11);
      const harness = await start({
        virtualFiles: (path) => Promise.resolve(path === 'big.img' ? content : undefined),
      });
      const result = await get(harness, 'big.img', { blksize: 512, windowsize: 16, giveUpMs: 30_000 });
      expect(result).toMatchObject({ ok: true, bytes: size });
      expect(result.sha256).toBe(createHash('sha256').update(content).digest('hex'));
      expect(await harness.nextRecord()).toMatchObject({ blocks: 65538, result: { kind: 'ok' } });
    }, 60_000);
  });

  describe('TFTP server: retransmission', () => {
    it('resends DATA after the timeout, doubling the wait, and resets it on progress', async () => {
      const harness = await start();
      const p = await peer();
      await p.send(rrq('pxelinux.0'), harness.port);
      const first = await p.next();
      expect(show(first.bytes)).toBe('DATA 1 (512)');
      await clock.advance(999);
      expect(await p.maybeNext(50)).toBeUndefined();
      await clock.advance(1);
      expect(show((await p.next()).bytes)).toBe('DATA 1 (512)');
      await clock.advance(1999);
      expect(await p.maybeNext(50)).toBeUndefined();
      await clock.advance(1);
      expect(show((await p.next()).bytes)).toBe('DATA 1 (512)');
      await p.send(ack(1), first.port);
      expect(show((await p.next()).bytes)).toBe('DATA 2 (512)');
      await clock.advance(1000);
      expect(show((await p.next()).bytes)).toBe('DATA 2 (512)');
      expect(await harness.metric('fleetboot_tftp_retransmits_total')).toBe(3);
    });

    it('times a retransmission from the last progress, with one timer per transfer, not one per ACK', async () => {
      const harness = await start();
      const p = await peer();
      await p.send(rrq('pxelinux.0'), harness.port);
      const first = await p.next();
      await clock.advance(600);
      const timers = vi.spyOn(clock, 'setTimer');
      await p.send(ack(1), first.port);
      expect(show((await p.next()).bytes)).toBe('DATA 2 (512)');
      // The timer armed with DATA 1 (due at 1000) stays; when it fires it waits again until 1600.
      expect(timers).not.toHaveBeenCalled();
      expect(clock.pendingTimers()).toBe(1);
      await clock.advance(999);
      expect(await p.maybeNext(50)).toBeUndefined();
      expect(clock.pendingTimers()).toBe(1);
      await clock.advance(1);
      expect(show((await p.next()).bytes)).toBe('DATA 2 (512)');
      expect(await harness.metric('fleetboot_tftp_retransmits_total')).toBe(1);
    });

    it('F11: a client that vanishes mid-transfer costs bounded retries, then its slot and socket are freed', async () => {
      tree.write('kernel', patterned(50_000));
      const harness = await start({ settings: { retries: 2 } });
      await get(harness, 'pxelinux.0'); // warm up
      await harness.nextRecord();
      const fds = openFds();
      const p = await RawPeer.open();
      await p.send(rrq('kernel'), harness.port);
      let packet = await p.next();
      for (let block = 1; block <= 5; block++) {
        await p.send(ack(block), packet.port);
        packet = await p.next();
      }
      await p.close(); // gone: nothing answers on its port any more
      const record = harness.nextRecord();
      for (let i = 0; i < 10 && harness.server.inFlight() > 0; i++) {
        await clock.advance(8000);
        await settle(10);
      }
      expect(await record).toMatchObject({
        result: { kind: 'timeout' },
        blocks: 5,
        bytes: 5 * 512,
        retransmits: 2,
      });
      expect(harness.server.inFlight()).toBe(0);
      expect(openFds()).toBe(fds);
    });

    it('T19: gives up on a client that never acknowledges, after the retries, and frees the slot', async () => {
      const harness = await start({ settings: { retries: 3 } });
      const p = await peer();
      const fds = openFds();
      await p.send(rrq('pxelinux.0'), harness.port);
      await p.next();
      expect(harness.server.inFlight()).toBe(1);
      const recordPromise = harness.nextRecord();
      for (let i = 0; i < 10 && harness.records.length === 0; i++) {
        await clock.advance(8000);
        await settle(10);
      }
      const record = await recordPromise;
      expect(record).toMatchObject({ result: { kind: 'timeout' }, retransmits: 3, blocks: 0 });
      expect(p.received.map((d) => show(d.bytes))).toEqual(Array<string>(4).fill('DATA 1 (512)'));
      expect(harness.server.inFlight()).toBe(0);
      expect(openFds()).toBe(fds);
    });
  });

  describe('TFTP server: the EDK2 tsize probe', () => {
    it('ends quietly on ERROR 8 after the OACK, recorded as probe, and serves the real request', async () => {
      const harness = await start();
      const p = await peer();
      await p.send(rrq('pxelinux.0', { tsize: '0', blksize: '1468', windowsize: '4' }), harness.port);
      const oack = await p.next();
      expect(show(oack.bytes)).toBe('OACK tsize=1500 blksize=1468 windowsize=4');
      await p.send(error(8, 'tsize probe'), oack.port);
      expect(await harness.nextRecord()).toMatchObject({ result: { kind: 'probe' }, bytes: 0 });
      expect(await p.maybeNext(100)).toBeUndefined();
      const real = await get(harness, 'pxelinux.0', { blksize: 1468, windowsize: 4 });
      expect(real.sha256).toBe(sha256(LOADER));
      expect(await harness.metric('fleetboot_tftp_transfers_total', { result: 'probe' })).toBe(1);
    });
  });

  describe('TFTP server: virtual files', () => {
    it('serves a virtual file first, per requesting client, and a root file otherwise', async () => {
      tree.write('pxelinux.cfg/default', 'static');
      const virtualFiles: VirtualFiles = (path, client) =>
        Promise.resolve(path === 'pxelinux.cfg/default' ? Buffer.from(`for ${client.address}`) : undefined);
      const harness = await start({ virtualFiles });
      const generated = await get(harness, 'pxelinux.cfg/default', { keep: true });
      expect(Buffer.from(generated.data ?? []).toString()).toBe('for 127.0.0.1');
      expect(await harness.nextRecord()).toMatchObject({ origin: 'virtual', path: 'pxelinux.cfg/default' });
      expect((await get(harness, 'pxelinux.0')).sha256).toBe(sha256(LOADER));
    });

    it('answers ERROR 0 when the policy fails, and nothing from the roots', async () => {
      tree.write('pxelinux.cfg/default', 'static');
      const harness = await start({ virtualFiles: () => Promise.reject(new Error('store down')) });
      const result = await get(harness, 'pxelinux.cfg/default');
      expect(result.error).toEqual({ code: 0, message: 'Server error' });
      expect(await harness.nextRecord()).toMatchObject({
        result: { kind: 'error', from: 'server', code: 0, reason: 'virtual-error' },
      });
    });

    it('gives up on a policy that never answers, and frees the slot', async () => {
      const harness = await start({
        virtualFiles: () => new Promise(() => undefined),
        tuning: { openTimeoutMs: 3000 },
      });
      const p = await peer();
      await p.send(rrq('anything'), harness.port);
      await settle(20);
      expect(harness.server.inFlight()).toBe(1);
      const record = harness.nextRecord();
      await clock.advance(3000);
      expect(await record).toMatchObject({ result: { kind: 'aborted', reason: 'open-timeout' } });
      expect(harness.server.inFlight()).toBe(0);
    });
  });

  describe('TFTP server: caps and repeats', () => {
    it('drops a request over maxPerClient, and serves that client again once a slot is free', async () => {
      const harness = await start({ settings: { maxPerClient: 2, retries: 1 } });
      const peersOfOneClient = [await peer(), await peer(), await peer()];
      for (const p of peersOfOneClient) await p.send(rrq('pxelinux.0'), harness.port);
      const answers = await Promise.all(peersOfOneClient.map((p) => p.maybeNext(300)));
      expect(answers.filter((a) => a !== undefined)).toHaveLength(2);
      expect(await harness.metric('fleetboot_tftp_dropped_total', { reason: 'busy-client' })).toBe(1);
      // Another address is not held back by this one's cap.
      expect((await get(harness, 'pxelinux.0', { bindAddress: '127.0.0.2' })).ok).toBe(true);
      for (let i = 0; i < 5 && harness.server.inFlight() > 0; i++) {
        await clock.advance(3000);
        await settle(10);
      }
      expect((await get(harness, 'pxelinux.0')).ok).toBe(true);
    });

    it('drops a request over maxTransfers', async () => {
      const harness = await start({ settings: { maxTransfers: 2 } });
      const clients = [await peer('127.0.0.2'), await peer('127.0.0.3'), await peer('127.0.0.4')];
      for (const p of clients) {
        await p.send(rrq('pxelinux.0'), harness.port);
        await settle(20);
      }
      expect(await clients[2]!.maybeNext(200)).toBeUndefined();
      expect(await harness.metric('fleetboot_tftp_dropped_total', { reason: 'busy' })).toBe(1);
      expect(await harness.metric('fleetboot_tftp_transfers_in_flight')).toBe(2);
    });

    it('ignores a repeated request from the same port before anything was acknowledged', async () => {
      const harness = await start();
      const p = await peer();
      await p.send(rrq('pxelinux.0'), harness.port);
      const first = await p.next();
      await p.send(rrq('pxelinux.0'), harness.port);
      expect(await p.maybeNext(200)).toBeUndefined();
      expect(harness.server.inFlight()).toBe(1);
      expect(await harness.metric('fleetboot_tftp_dropped_total', { reason: 'duplicate-request' })).toBe(1);
      await p.send(ack(1), first.port);
      expect(show((await p.next()).bytes)).toBe('DATA 2 (512)');
    });

    it('serves the same request from the same port again once the first transfer has ended', async () => {
      const harness = await start();
      const p = await peer();
      for (let round = 1; round <= 2; round++) {
        const other = await peer();
        await p.send(rrq('pxelinux.0'), harness.port);
        // Meanwhile another TID asks the same: not a repeat of p's (only p's own transfers are compared).
        await other.send(rrq('pxelinux.0'), harness.port);
        const mine = await p.next();
        expect(show(mine.bytes)).toBe('DATA 1 (512)');
        expect(show((await other.next()).bytes)).toBe('DATA 1 (512)');
        for (let block = 1; block <= 3; block++) {
          await p.send(ack(block), mine.port);
          if (block < 3) await p.next();
        }
        expect(await harness.nextRecord()).toMatchObject({ result: { kind: 'ok' } });
      }
      expect(await harness.metric('fleetboot_tftp_dropped_total', { reason: 'duplicate-request' })).toBe(0);
    });

    it('answers a request repeated after its first ended unacknowledged (a missing file), not as a repeat', async () => {
      // The first transfer ends with ERROR 1 and nothing confirmed: once it is released, the same request from the
      // same port is a new one. A stale entry in the server's per-TID index would drop it as a duplicate.
      const harness = await start();
      const p = await peer();
      for (let round = 1; round <= 2; round++) {
        await p.send(rrq('missing.0'), harness.port);
        expect(show((await p.next()).bytes)).toMatch(/^ERROR 1\b/);
        for (let i = 0; i < 100 && harness.server.inFlight() > 0; i++) await settle(10);
        expect(harness.server.inFlight()).toBe(0);
      }
      expect(await harness.metric('fleetboot_tftp_dropped_total', { reason: 'duplicate-request' })).toBe(0);
    });
  });

  describe('TFTP server: stop', () => {
    it('lets a transfer finish while draining, then stops listening', async () => {
      const harness = await start();
      const p = await peer();
      await p.send(rrq('pxelinux.0'), harness.port);
      const data = await p.next();
      let stopped = false;
      const stopping = harness.stop().then(() => {
        stopped = true;
      });
      await settle(20);
      expect(stopped).toBe(false);
      for (const block of [1, 2, 3]) {
        await p.send(ack(block), data.port);
        if (block < 3) await p.next();
      }
      await stopping;
      expect(harness.records[0]?.result).toEqual({ kind: 'ok' });
      await p.send(rrq('pxelinux.0'), harness.port);
      expect(await p.maybeNext(200)).toBeUndefined();
      h = undefined;
    });

    it('starts again after a stop, as the supervisor restarts a failed service', async () => {
      const harness = await start({ settings: { listen: { host: '127.0.0.1', port: 0 } } });
      await stopAdvancing(harness, clock);
      expect(harness.server.address()).toBeUndefined();
      await harness.server.start(() => undefined);
      const port = harness.server.address()?.port ?? 0;
      const result = await tftpGet({ server: { address: '127.0.0.1', port }, file: 'pxelinux.0' });
      expect(result.sha256).toBe(sha256(LOADER));
    });

    it('a listening port already taken fails start, for the supervisor to retry', async () => {
      const harness = await start();
      const clash = startHarness({ clock, settings: { listen: { host: '127.0.0.1', port: harness.port } } });
      await expect(clash).rejects.toMatchObject({ code: 'EADDRINUSE' });
    });

    it('aborts what is left after the drain with ERROR 0, closing every socket (catalogue F03)', async () => {
      const harness = await start({ tuning: { drainMs: 2000 } });
      const p = await peer();
      const fds = openFds();
      await p.send(rrq('pxelinux.0', { blksize: '512' }), harness.port);
      await p.next();
      await stopAdvancing(harness, clock);
      h = undefined;
      const shown = p.received.map((d) => show(d.bytes));
      expect(shown.at(-1)).toBe('ERROR 0');
      expect(harness.records[0]?.result).toEqual({ kind: 'aborted', reason: 'stopping' });
      expect(openFds()).toBe(fds - 1); // the listening socket is closed too
    });
  });

  describe('TFTP server: records and metrics', () => {
    it('keeps serving when onTransfer throws', async () => {
      const harness = await start({
        onTransfer: () => {
          throw new Error('store down');
        },
      });
      expect((await get(harness, 'pxelinux.0')).ok).toBe(true);
      expect((await get(harness, 'pxelinux.0')).ok).toBe(true);
      expect(harness.logs().some((l) => l.msg === 'TFTP onTransfer failed')).toBe(true);
    });

    it('counts transfers by result, bytes, errors and in-flight, and returns descriptors to the baseline', async () => {
      const harness = await start();
      await get(harness, 'pxelinux.0'); // warm up: the first transfer opens what stays open
      await harness.nextRecord(); // and its socket is closed once its record is out, not when the client is done
      const fds = openFds();
      for (let i = 0; i < 20; i++) await get(harness, 'pxelinux.0', { blksize: 1000, windowsize: 2 });
      for (let i = 0; i < 5; i++) await get(harness, 'missing');
      // The client has its answer as soon as the server sent it; the server's socket is closed once the record is
      // out (a dgram socket closes in a callback after its farewell left).
      for (let i = 0; i < 25; i++) await harness.nextRecord();
      expect(openFds()).toBe(fds);
      expect(await harness.metric('fleetboot_tftp_transfers_total', { result: 'ok' })).toBe(21);
      expect(await harness.metric('fleetboot_tftp_transfers_total', { result: 'error' })).toBe(5);
      expect(await harness.metric('fleetboot_tftp_errors_total', { code: '1', direction: 'sent' })).toBe(5);
      expect(await harness.metric('fleetboot_tftp_bytes_total')).toBe(21 * 1500);
      expect(await harness.metric('fleetboot_tftp_transfers_in_flight')).toBe(0);
      expect(await harness.metric('fleetboot_tftp_requests_total')).toBe(26);
    });
  });
});
