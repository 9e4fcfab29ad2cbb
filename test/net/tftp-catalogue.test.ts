// Reliability-catalogue §6.2 (T01–T21) against the running server on loopback: each bad input gets what the
// catalogue says (DROP, ERR n, ignored), and the next good request is served (I1).
import { statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../support/fake-clock.js';
import { bytes, request } from '../protocol/tftp/support.js';
import { sha256, tftpGet } from './tftp-fixtures/client.js';
import { makeTree, patterned, type TftpTree } from './tftp-fixtures/fs.js';
import { type Harness, RawPeer, settle, startHarness, stopAdvancing } from './tftp-fixtures/harness.js';
import type { TransferSocketKind } from '../../src/net/tftp-transfer-socket.js';
import { ack, decode, describe as show, error, rrq } from './tftp-fixtures/packets.js';

let tree: TftpTree;
let clock: FakeClock;
let h: Harness;
const peers: RawPeer[] = [];
const LOADER = patterned(1500, 5);

/** Which transfer sockets carry the suite running: the catalogue holds for both (tftp-transfer-socket.ts). */
let transport: TransferSocketKind = 'native';

beforeEach(async () => {
  tree = makeTree();
  tree.write('pxelinux.0', LOADER);
  tree.write('big', patterned(20_000, 9));
  clock = new FakeClock();
  h = await startHarness({ clock, roots: [tree.root], tuning: { transport } });
});

afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
  await stopAdvancing(h, clock);
  tree.remove();
});

async function peer(address = '127.0.0.1'): Promise<RawPeer> {
  const p = await RawPeer.open(address);
  peers.push(p);
  return p;
}

/** I1 liveness: a valid RRQ for a known file is served in full. */
async function expectLive(): Promise<void> {
  const result = await tftpGet({ server: { address: '127.0.0.1', port: h.port }, file: 'pxelinux.0' });
  expect(result.sha256).toBe(sha256(LOADER));
}

/** Acknowledges every DATA until the short one; returns the payloads. Bounded by `maxBlocks`. */
async function drive(p: RawPeer, first: { bytes: Buffer; port: number }, maxBlocks = 1000): Promise<Buffer> {
  const parts: Buffer[] = [];
  let packet = first;
  for (let i = 0; i < maxBlocks; i++) {
    const data = decode(packet.bytes);
    if (data.kind !== 'data') throw new Error(`expected DATA, got ${show(packet.bytes)}`);
    parts.push(Buffer.from(data.data));
    await p.send(ack(data.block), packet.port);
    if (data.data.length < 512) return Buffer.concat(parts);
    packet = await p.next();
  }
  throw new Error('too many blocks');
}

describe.each(['native', 'dgram'] as const)('over %s transfer sockets', (kind) => {
  // beforeAll: it runs before the file's beforeEach of this block's first test, which starts the server.
  beforeAll(() => {
    transport = kind;
  });

  describe('T01–T06, T18: bad datagrams on port 69', () => {
    const cases: [string, Uint8Array, string | undefined, string][] = [
      ['T01 empty', bytes(), undefined, 'parse:short'],
      ['T01 one byte', bytes(1), undefined, 'parse:short'],
      ['T02 opcode 0', bytes(0, 0, 'pxelinux.0', 0, 'octet', 0), undefined, 'parse:opcode'],
      ['T02 opcode 7', bytes(0, 7, 'pxelinux.0', 0, 'octet', 0), undefined, 'parse:opcode'],
      ['T02 opcode 0xffff', bytes(0xff, 0xff, 'pxelinux.0', 0), undefined, 'parse:opcode'],
      ['T03 filename without NUL', bytes(0, 1, 'pxelinux.0'), 'ERROR 4', 'parse:unterminated'],
      ['T04 empty filename', request(1, '', 'octet'), 'ERROR 4', 'parse:empty-filename'],
      ['T05 mode missing', bytes(0, 1, 'pxelinux.0', 0), 'ERROR 4', 'parse:mode'],
      ['T05 mode blah', request(1, 'pxelinux.0', 'blah'), 'ERROR 4', 'parse:mode'],
      ['T05 mode mail', request(1, 'pxelinux.0', 'mail'), 'ERROR 4', 'parse:mode'],
      ['T06 filename of 512', request(1, 'a'.repeat(512), 'octet'), 'ERROR 4', 'parse:long-filename'],
      ['T06 filename of 1400', request(1, 'a'.repeat(1400), 'octet'), 'ERROR 4', 'parse:long-filename'],
      ['T06 datagram maximum', request(1, 'a'.repeat(65000), 'octet'), 'ERROR 4', 'parse:long-filename'],
      ['T18 DATA', bytes(0, 3, 0, 1, 'xyz'), undefined, 'wrong-direction'],
      ['T18 ACK', bytes(0, 4, 0, 1), undefined, 'wrong-direction'],
      ['T18 OACK', request(6, 'tsize', '0'), undefined, 'wrong-direction'],
      ['T18 ERROR', bytes(0, 5, 0, 0, 'x', 0), undefined, 'wrong-direction'],
    ];

    it.each(cases)('%s → %s', async (_name, datagram, expected, reason) => {
      const p = await peer();
      await p.send(datagram, h.port);
      const answer = await p.maybeNext(150);
      expect(answer === undefined ? undefined : show(answer.bytes)).toBe(expected);
      // No ERROR is larger than what caused it (T21/S12).
      if (answer !== undefined) expect(answer.bytes.length).toBeLessThanOrEqual(datagram.length);
      expect(await h.metric('fleetboot_tftp_dropped_total', { reason })).toBe(1);
      expect(h.records).toHaveLength(0);
      await expectLive();
    });

    it('T05: OCTET in upper case is accepted', async () => {
      const p = await peer();
      await p.send(request(1, 'pxelinux.0', 'OCTET'), h.port);
      expect(show((await p.next()).bytes)).toBe('DATA 1 (512)');
    });

    it('T06: a 255-octet filename is looked up and not found', async () => {
      const p = await peer();
      await p.send(rrq('a'.repeat(255)), h.port);
      expect(show((await p.next()).bytes)).toBe('ERROR 1');
      await expectLive();
    });
  });

  describe('T07: traversal, and files that are not regular files under the root', () => {
    const names = [
      '../etc/passwd',
      '..\\..\\etc\\passwd',
      '/etc/passwd',
      '//etc/passwd',
      'boot/../../x',
      'boot/..',
      '....//x',
      '.%2e/x',
      'C:\\x',
      'c:/x',
      '\\\\srv\\share\\x',
      '%00',
      '..\u00c0\u00af',
      '../secret.txt',
      'escape',
      'up/secret.txt',
    ];

    it('answers ERROR 1 or 2 to each, and the canary outside the root never comes back (I6)', async () => {
      symlinkSync(tree.outside, path.join(tree.root, 'escape'));
      symlinkSync('..', path.join(tree.root, 'up'));
      const p = await peer();
      for (const name of names) {
        await p.send(rrq(name), h.port);
        const answer = await p.next();
        expect([`ERROR 1`, `ERROR 2`], name).toContain(show(answer.bytes));
      }
      // Embedded NUL: the name ends at it on the wire, the rest is the mode.
      await p.send(bytes(0, 1, 'a', 0, 'b', 0, 'octet', 0), h.port);
      expect(show((await p.next()).bytes)).toBe('ERROR 4');
      const everything = Buffer.concat(p.received.map((d) => d.bytes)).toString('latin1');
      expect(everything).not.toContain(tree.canary);
      await expectLive();
    });
  });

  describe('T08: write requests', () => {
    it('refuses WRQ for an existing and a new file with ERROR 2, and writes nothing', async () => {
      const before = statSync(path.join(tree.root, 'pxelinux.0'));
      const p = await peer();
      for (const name of ['pxelinux.0', 'new-file']) {
        await p.send(request(2, name, 'octet'), h.port);
        const answer = await p.next();
        // ERROR 2 "Write not supported", cut to the size of the request (T21).
        const refusal = decode(answer.bytes);
        expect(refusal).toMatchObject({ kind: 'error', code: 2 });
        expect('Write not supported'.startsWith(refusal.kind === 'error' ? refusal.message : '?')).toBe(true);
        expect(answer.bytes.length).toBeLessThanOrEqual(request(2, name, 'octet').length);
        await p.send(bytes(0, 3, 0, 1, 'overwrite'), answer.port);
      }
      expect(await p.maybeNext(100)).toBeUndefined();
      const after = statSync(path.join(tree.root, 'pxelinux.0'));
      expect(after.mtimeMs).toBe(before.mtimeMs);
      expect(() => statSync(path.join(tree.root, 'new-file'))).toThrow();
      expect(
        (await tftpGet({ server: { address: '127.0.0.1', port: h.port }, file: 'pxelinux.0' })).sha256,
      ).toBe(sha256(LOADER));
    });
  });

  describe('T09–T13: odd options are ignored or clamped, and the transfer completes', () => {
    const cases: [string, Record<string, string>, string | undefined][] = [
      ['T09 blksize 0', { blksize: '0' }, undefined],
      ['T09 blksize 7', { blksize: '7' }, undefined],
      ['T09 blksize 8', { blksize: '8' }, 'blksize=8'],
      ['T09 blksize 65464', { blksize: '65464' }, 'blksize=1468'],
      ['T09 blksize 65465', { blksize: '65465' }, undefined],
      ['T09 blksize 99999999999', { blksize: '99999999999' }, undefined],
      ['T09 blksize -1', { blksize: '-1' }, undefined],
      ['T09 blksize abc', { blksize: 'abc' }, undefined],
      ['T09 blksize empty', { blksize: '' }, undefined],
      ['T10 timeout 0', { timeout: '0' }, undefined],
      ['T10 timeout 256', { timeout: '256' }, undefined],
      ['T10 timeout -5', { timeout: '-5' }, undefined],
      ['T10 timeout 1e9', { timeout: '1e9' }, undefined],
      ['T10 utimeout huge', { utimeout: '99999999999' }, undefined],
      ['T11 tsize 123', { tsize: '123' }, 'tsize=1500'],
      ['T12 windowsize 0', { windowsize: '0' }, undefined],
      ['T12 windowsize 65536', { windowsize: '65536' }, undefined],
      ['T12 windowsize 4294967296', { windowsize: '4294967296' }, undefined],
      ['T12 windowsize 65535', { windowsize: '65535' }, 'windowsize=16'],
      [
        'T12 blksize 65464 + windowsize 65535',
        { blksize: '65464', windowsize: '65535' },
        'blksize=1468 windowsize=16',
      ],
      ['T13 unknown msftwindow and foo', { msftwindow: '31416', foo: 'bar' }, undefined],
    ];

    it.each(cases)('%s → %s', async (_name, options, oack) => {
      const p = await peer();
      await p.send(rrq('pxelinux.0', options), h.port);
      const first = await p.next();
      expect(show(first.bytes)).toBe(oack === undefined ? 'DATA 1 (512)' : `OACK ${oack}`);
      const result = await tftpGet({
        server: { address: '127.0.0.1', port: h.port },
        file: 'pxelinux.0',
        extraOptions: Object.entries(options).map(([name, value]) => ({ name, value })),
      });
      expect(result.sha256).toBe(sha256(LOADER));
    });

    it('T13: a repeated option counts the first time; a dangling name and a 900-octet name are ignored', async () => {
      const p = await peer();
      await p.send(request(1, 'pxelinux.0', 'octet', 'blksize', '1024', 'BLKSIZE', '512'), h.port);
      expect(show((await p.next()).bytes)).toBe('OACK blksize=1024');
      const q = await peer();
      await q.send(request(1, 'pxelinux.0', 'octet', 'x'.repeat(900), '1', 'blksize'), h.port);
      expect(show((await q.next()).bytes)).toBe('DATA 1 (512)');
    });

    it('T11: no tsize in netascii mode', async () => {
      const p = await peer();
      await p.send(rrq('pxelinux.0', { tsize: '0', blksize: '1024' }, 'netascii'), h.port);
      expect(show((await p.next()).bytes)).toBe('OACK blksize=1024');
    });
  });

  describe('T14: a packet from the wrong TID', () => {
    it('gets ERROR 5 "Unknown transfer ID", no larger than it, and the transfer goes on', async () => {
      const client = await peer();
      const intruder = await peer();
      await client.send(rrq('big'), h.port);
      const first = await client.next();
      await intruder.send(ack(1), first.port);
      const answer = await intruder.next();
      expect(decode(answer.bytes)).toMatchObject({ kind: 'error', code: 5 });
      expect(answer.bytes.length).toBe(5); // a 4-byte ACK gets the smallest ERROR there is
      const larger = Buffer.concat([ack(1), Buffer.alloc(40)]);
      await intruder.send(larger, first.port);
      expect(decode((await intruder.next()).bytes)).toEqual({
        kind: 'error',
        code: 5,
        message: 'Unknown transfer ID',
      });
      // An ERROR from the wrong TID is not answered (no ERROR loop) and ends nothing.
      await intruder.send(error(0, 'go away'), first.port);
      expect(await intruder.maybeNext(100)).toBeUndefined();
      const content = await drive(client, first);
      expect(sha256(content)).toBe(sha256(patterned(20_000, 9)));
      expect(await h.nextRecord()).toMatchObject({ result: { kind: 'ok' } });
      expect(await h.metric('fleetboot_tftp_errors_total', { code: '5', direction: 'sent' })).toBe(2);
    });
  });

  describe('T15: duplicate ACKs', () => {
    it('never cause a duplicate DATA (Sorcerer’s Apprentice): 2×, 10× and 1000×', async () => {
      const p = await peer();
      await p.send(rrq('big'), h.port);
      let packet = await p.next();
      let sentAcks = 0;
      for (const [block, times] of [
        [1, 2],
        [2, 10],
        [3, 1000],
      ] as const) {
        expect(show(packet.bytes)).toBe(`DATA ${block} (512)`);
        // Paced, so the kernel's receive buffer of the transfer socket does not drop any of them.
        for (let i = 0; i < times; i++) {
          await p.send(ack(block), packet.port);
          if (i % 50 === 49) await settle(5);
        }
        sentAcks += times;
        const next = await p.next();
        expect(await p.maybeNext(100)).toBeUndefined();
        packet = next;
      }
      expect(await h.metric('fleetboot_tftp_duplicate_acks_total')).toBe(sentAcks - 3);
      const rest = await drive(p, packet);
      expect(rest.length).toBe(20_000 - 3 * 512);
      const record = await h.nextRecord();
      expect(record).toMatchObject({ result: { kind: 'ok' }, retransmits: 0, duplicateAcks: sentAcks - 3 });
      // Bytes sent are the file, once.
      expect(await h.metric('fleetboot_tftp_bytes_total')).toBe(20_000);
    });

    it('in a window, a repeated ACK of its last block starts no second window', async () => {
      const p = await peer();
      await p.send(rrq('big', { windowsize: '4', blksize: '512' }), h.port);
      const oack = await p.next();
      await p.send(ack(0), oack.port);
      for (let i = 0; i < 4; i++) await p.next();
      for (let i = 0; i < 10; i++) await p.send(ack(4), oack.port);
      const burst = [];
      for (let i = 0; i < 4; i++) burst.push(show((await p.next()).bytes));
      expect(burst).toEqual(['DATA 5 (512)', 'DATA 6 (512)', 'DATA 7 (512)', 'DATA 8 (512)']);
      expect(await p.maybeNext(150)).toBeUndefined();
    });
  });

  describe('T16: ACKs for blocks not sent, ACK 0 after DATA, ACK after the end', () => {
    it('are ignored, and the server stays live', async () => {
      const p = await peer();
      await p.send(rrq('pxelinux.0'), h.port);
      const first = await p.next();
      await p.send(ack(6), first.port);
      await p.send(ack(0), first.port);
      expect(await p.maybeNext(100)).toBeUndefined();
      await drive(p, first);
      await h.nextRecord();
      await p.send(ack(3), first.port);
      await p.send(ack(4), first.port);
      expect(await p.maybeNext(100)).toBeUndefined();
      await expectLive();
    });
  });

  describe('T17: an ERROR from the client', () => {
    const variants: [string, Buffer, number | undefined, string][] = [
      ['3 bytes (CVE-2019-11365)', Buffer.from([0, 5, 0]), undefined, ''],
      [
        'a 1 KB message',
        Buffer.concat([Buffer.from([0, 5, 0, 3]), Buffer.alloc(1024, 0x41), Buffer.from([0])]),
        3,
        'A',
      ],
      ['no NUL', Buffer.from([0, 5, 0, 1, 0x68, 0x69]), 1, 'hi'],
      [
        'non-UTF-8 with terminal escapes',
        Buffer.from([0, 5, 0, 0, 0xc0, 0xaf, 0x1b, 0x5b, 0x32, 0x4a, 0x0a, 0x5c, 0]),
        0,
        '\u00c0\u00af\\x1b[2J\\x0a\\\\',
      ],
    ];

    it.each(variants)(
      '%s: the transfer ends cleanly, the message escaped and cut',
      async (_n, packet, code, text) => {
        const p = await peer();
        await p.send(rrq('big'), h.port);
        const first = await p.next();
        await p.send(packet, first.port);
        const record = await h.nextRecord();
        expect(record.result).toMatchObject({ kind: 'error', from: 'client', code });
        const message =
          record.result.kind === 'error' && record.result.from === 'client' ? record.result.message : '';
        expect(message.startsWith(text)).toBe(true);
        expect(message.length).toBeLessThanOrEqual(130);
        expect(Array.from(message, (c) => c.charCodeAt(0)).some((c) => c < 0x20 || c === 0x7f)).toBe(false);
        await settle(10);
        expect(h.server.inFlight()).toBe(0);
        const logs = JSON.stringify(h.logs());
        expect(logs).not.toContain('\\u001b');
        await expectLive();
      },
    );

    it('escapes a requested file name before it reaches a log line', async () => {
      const p = await peer();
      await p.send(rrq('evil\u001b[2J\nname'), h.port);
      await p.next();
      const lines = h.logs().filter((l) => l.msg === 'TFTP RRQ');
      expect(lines[0]?.file).toBe('evil\\x1b[2J\\x0aname');
    });
  });

  describe('T19 and T21: a client that never acknowledges (spoofed source)', () => {
    async function silentVictim(options: Record<string, string>) {
      const victim = await peer();
      const req = rrq('big', options);
      await victim.send(req, h.port);
      await victim.next();
      for (let i = 0; i < 20 && h.records.length === 0; i++) {
        await clock.advance(8000);
        await settle(10);
      }
      const record = await h.nextRecord();
      await settle(20);
      return { received: victim.received, request: req, record };
    }

    it('without options: DATA 1 only, at most 1 + retries times, ≤ 516 octets each, then the slot is freed', async () => {
      const { received, request: req, record } = await silentVictim({});
      expect(record.result).toEqual({ kind: 'timeout' });
      expect(received.map((d) => show(d.bytes))).toEqual(Array<string>(6).fill('DATA 1 (512)'));
      const sent = received.reduce((n, d) => n + d.bytes.length, 0);
      expect(sent).toBeLessThanOrEqual((1 + 5) * 516);
      // The amplification ratio of one spoofed request: octets reflected per octet asked.
      expect(sent / req.length).toBeLessThanOrEqual(((1 + 5) * 516) / req.length);
      expect(h.server.inFlight()).toBe(0);
    });

    it('with blksize 1468 and windowsize 16: only the OACK, never a window before ACK 0', async () => {
      const { received, request: req } = await silentVictim({
        blksize: '1468',
        windowsize: '16',
        tsize: '0',
      });
      expect(received.map((d) => show(d.bytes))).toEqual(
        Array<string>(6).fill('OACK blksize=1468 windowsize=16 tsize=20000'),
      );
      const sent = received.reduce((n, d) => n + d.bytes.length, 0);
      expect(sent).toBeLessThanOrEqual(6 * req.length + 6 * 8);
      expect(sent / req.length).toBeLessThan(7);
    });

    it('a storm of 200 spoofed RRQs from one address costs at most maxPerClient × (1 + retries) packets', async () => {
      const sources = await Promise.all(Array.from({ length: 50 }, () => peer('127.0.0.9')));
      for (const source of sources) {
        for (let i = 0; i < 4; i++)
          await source.send(rrq('big', { blksize: '1468', windowsize: '16' }), h.port);
      }
      await settle(100);
      for (let i = 0; i < 20 && h.server.inFlight() > 0; i++) {
        await clock.advance(8000);
        await settle(10);
      }
      const reflected = sources.reduce((n, source) => n + source.received.length, 0);
      expect(reflected).toBeLessThanOrEqual(8 * 6);
      expect(
        await h.metric('fleetboot_tftp_dropped_total', { reason: 'busy-client' }),
      ).toBeGreaterThanOrEqual(42);
      expect(await h.metric('fleetboot_tftp_dropped_total')).toBe(192);
      await expectLive();
    });
  });
});
