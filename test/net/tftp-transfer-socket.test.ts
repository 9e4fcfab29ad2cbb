// The transfer sockets of tftp-transfer-socket.ts, both kinds, against real UDP peers on loopback: what reaches the
// transfer (an ACK of its peer as a number, everything else whole) and what leaves (DATA built from the file's
// bytes, the block number wrapping at 65536, an empty final block). Every wait is bounded in real time.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { TftpClient } from '../../src/net/tftp-file.js';
import {
  loadTftpSocketAddon,
  TFTP_SOCKET_ADDON_PATH,
  type TransferSocket,
  transferSocketFactory,
  type TransferSocketHandlers,
} from '../../src/net/tftp-transfer-socket.js';
import { NativeAddonError } from '../../src/net/udp-netdev-addon.js';
import { openFds, patterned } from './tftp-fixtures/fs.js';
import { RawPeer, withTimeout } from './tftp-fixtures/harness.js';
import { ack, dataBlocks, error } from './tftp-fixtures/packets.js';

const addon = loadTftpSocketAddon();
const nothing = (): void => undefined;
const opened: TransferSocket[] = [];
const peers: RawPeer[] = [];

afterEach(async () => {
  for (const socket of opened.splice(0)) await socket.close();
  for (const peer of peers.splice(0)) await peer.close();
});

interface Heard {
  readonly acks: number[];
  /** Everything delivered, in order: `ack N`, `acks N` (the autopilot's report), `datagram`. */
  readonly log: string[];
  readonly datagrams: { bytes: Buffer; from: TftpClient }[];
  readonly handlers: TransferSocketHandlers;
  /** Resolves once `count` deliveries (ACKs and datagrams together) have arrived, within 2 s. */
  until(count: number): Promise<void>;
}

function listener(): Heard {
  const acks: number[] = [];
  const log: string[] = [];
  const datagrams: { bytes: Buffer; from: TftpClient }[] = [];
  let wake: (() => void) | undefined;
  const heard = (): void => wake?.();
  return {
    acks,
    log,
    datagrams,
    handlers: {
      ack: (block) => {
        acks.push(block);
        log.push(`ack ${String(block)}`);
        heard();
      },
      acks: (count) => {
        log.push(`acks ${String(count)}`);
      },
      datagram: (bytes, from) => {
        datagrams.push({ bytes, from });
        log.push('datagram');
        heard();
      },
      error: (failure) => {
        throw failure;
      },
    },
    async until(count) {
      const deadline = Date.now() + 2_000;
      while (acks.length + datagrams.length < count) {
        if (Date.now() > deadline)
          throw new Error(`only ${acks.length + datagrams.length} of ${count} arrived`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

describe.each(['native', 'dgram'] as const)('%s transfer socket', (kind) => {
  const open = async (peer: RawPeer, host = '127.0.0.1'): Promise<TransferSocket> => {
    const socket = await transferSocketFactory(kind)(host, { address: '127.0.0.1', port: peer.port });
    opened.push(socket);
    return socket;
  };
  const rawPeer = async (): Promise<RawPeer> => {
    const peer = await RawPeer.open();
    peers.push(peer);
    return peer;
  };

  it('binds an ephemeral port of its own on the host it is given', async () => {
    const peer = await rawPeer();
    const [a, b] = [await open(peer), await open(peer)];
    expect(a.local.address).toBe('127.0.0.1');
    expect(a.local.port).toBeGreaterThan(0);
    expect(b.local.port).not.toBe(a.local.port);
  });

  it("hands its peer's ACKs over as block numbers, and everything else whole with its sender", async () => {
    const peer = await rawPeer();
    const stranger = await rawPeer();
    const socket = await open(peer);
    const heard = listener();
    socket.listen(heard.handlers);
    await peer.send(ack(7), socket.local.port);
    await peer.send(ack(65535), socket.local.port);
    // An ACK with trailing octets is still an ACK (RFC 1350 says nothing of them; tftpd-hpa takes it too).
    await peer.send(Buffer.concat([ack(9), Buffer.from([1, 2])]), socket.local.port);
    await peer.send(Buffer.from([0, 4, 0]), socket.local.port); // too short for a block number: whole
    await peer.send(error(8, 'no'), socket.local.port);
    await stranger.send(ack(7), socket.local.port); // another TID (RFC 1350 §4): whole, with its address
    await heard.until(6);
    expect(heard.acks).toEqual([7, 65535, 9]);
    expect(heard.datagrams.map((d) => [...d.bytes])).toEqual([[0, 4, 0], [...error(8, 'no')], [...ack(7)]]);
    expect(heard.datagrams.map((d) => d.from)).toEqual([
      { address: '127.0.0.1', port: peer.port },
      { address: '127.0.0.1', port: peer.port },
      { address: '127.0.0.1', port: stranger.port },
    ]);
  });

  it('sends DATA from the data it holds: headers by index modulo 65536, the final block short or empty', async () => {
    const peer = await rawPeer();
    const socket = await open(peer);
    const bytes = patterned(3 * 512);
    socket.setData(bytes, 512);
    socket.sendBlocks(1, 2);
    socket.sendBlocks(4, 1); // the empty final block of a size that is a multiple of the block size
    const got = [await peer.next(), await peer.next(), await peer.next()];
    expect(got.map((d) => d.port)).toEqual([socket.local.port, socket.local.port, socket.local.port]);
    expect(got[0]?.bytes).toEqual(Buffer.concat([Buffer.from([0, 3, 0, 1]), bytes.subarray(0, 512)]));
    expect(got[1]?.bytes).toEqual(Buffer.concat([Buffer.from([0, 3, 0, 2]), bytes.subarray(512, 1024)]));
    expect(got[2]?.bytes).toEqual(Buffer.from([0, 3, 0, 4]));

    const big = patterned(65_537 * 8 + 3);
    socket.setData(big, 8);
    socket.sendBlocks(65_535, 4); // wire numbers 65535, 0, 1, and the 3-octet final block 2
    const wrapped = [await peer.next(), await peer.next(), await peer.next(), await peer.next()];
    expect(wrapped.map((d) => d.bytes.readUInt16BE(2))).toEqual([65535, 0, 1, 2]);
    expect(wrapped[1]?.bytes.subarray(4)).toEqual(Buffer.from(big.subarray(65_535 * 8, 65_536 * 8)));
    expect(wrapped[3]?.bytes.subarray(4)).toEqual(Buffer.from(big.subarray(65_537 * 8)));
  });

  it('autopilot: sends each next window on the ACK of the whole one, and reports before anything else', async () => {
    const peer = await rawPeer();
    const stranger = await rawPeer();
    const socket = await open(peer);
    const heard = listener();
    socket.listen(heard.handlers);
    const bytes = patterned(7 * 512 + 3);
    socket.setData(bytes, 512);
    socket.autopilot(2, 8, 3); // blocks 1–2 sent; 8 in all (the last is 3 octets); windows of 3
    await peer.send(ack(1), socket.local.port); // not the whole window: to the transfer, autopilot off
    await heard.until(1);
    expect(heard.log).toEqual(['ack 1']);
    expect(await peer.maybeNext(100)).toBeUndefined();

    socket.autopilot(2, 8, 3);
    await peer.send(ack(2), socket.local.port); // the whole window: blocks 3, 4, 5 leave, nothing is delivered
    const first = [await peer.next(), await peer.next(), await peer.next()];
    expect(first.map((d) => d.bytes.readUInt16BE(2))).toEqual([3, 4, 5]);
    await peer.send(ack(5), socket.local.port); // and 6, 7, 8
    const second = [await peer.next(), await peer.next(), await peer.next()];
    expect(second.map((d) => d.bytes.readUInt16BE(2))).toEqual([6, 7, 8]);
    expect(second[2]?.bytes.subarray(4)).toEqual(Buffer.from(bytes.subarray(7 * 512)));
    expect(heard.log).toEqual(['ack 1']);
    await stranger.send(ack(5), socket.local.port); // anything else: the report first, then it
    await heard.until(2);
    expect(heard.log).toEqual(['ack 1', 'acks 2', 'datagram']);

    socket.autopilot(8, 8, 3); // all sent: the final ACK is the transfer's
    await peer.send(ack(8), socket.local.port);
    await heard.until(3);
    expect(heard.log).toEqual(['ack 1', 'acks 2', 'datagram', 'ack 8']);
    expect(await peer.maybeNext(100)).toBeUndefined();
  });

  it('autopilot: takeAcks reports what it carried out, once', async () => {
    const peer = await rawPeer();
    const socket = await open(peer);
    socket.listen(listener().handlers);
    socket.setData(patterned(4 * 512), 512);
    socket.autopilot(1, 5, 1);
    await peer.send(ack(1), socket.local.port);
    await peer.next();
    await peer.send(ack(2), socket.local.port);
    await peer.next();
    const report = socket.takeAcks();
    expect(report.count).toBe(2);
    expect(report.ageMs).toBeGreaterThanOrEqual(0);
    expect(report.ageMs).toBeLessThan(2_000);
    expect(socket.takeAcks()).toEqual({ count: 0, ageMs: 0 });
  });

  it('sends a block with its payload given, and any datagram to any address', async () => {
    const peer = await rawPeer();
    const other = await rawPeer();
    const socket = await open(peer);
    socket.sendBlock(65_536 + 5, Buffer.from('abc'));
    socket.send(error(5, 'Unknown transfer ID'), { address: '127.0.0.1', port: other.port });
    expect((await peer.next()).bytes).toEqual(Buffer.from([0, 3, 0, 5, 97, 98, 99]));
    expect((await other.next()).bytes).toEqual(Buffer.from(error(5, 'Unknown transfer ID')));
  });

  it('closes with its farewell sent first, gives its descriptor back, and closing again is harmless', async () => {
    const peer = await rawPeer();
    const before = openFds();
    const socket = await open(peer);
    expect(openFds()).toBe(before + 1);
    socket.listen(listener().handlers);
    await socket.close(error(0, 'Server shutting down'));
    expect(openFds()).toBe(before);
    expect((await peer.next()).bytes).toEqual(Buffer.from(error(0, 'Server shutting down')));
    await socket.close();
    expect(openFds()).toBe(before);
  });

  it('delivers nothing once closed, even from inside its own callback with more datagrams queued', async () => {
    const peer = await rawPeer();
    const stranger = await rawPeer();
    const socket = await open(peer);
    const heard = listener();
    socket.listen({
      ...heard.handlers,
      datagram: (bytes, from) => {
        heard.handlers.datagram(bytes, from);
        void socket.close();
      },
    });
    // Queued before the socket is read: the first is delivered, and closes it; the rest never arrive.
    for (let i = 0; i < 5; i++) await stranger.send(ack(i), socket.local.port);
    await heard.until(1);
    await peer.send(ack(9), socket.local.port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(heard.datagrams).toHaveLength(1);
    expect(heard.acks).toEqual([]);
  });

  it('serves IPv6: an ACK from the peer on ::1 takes the fast path', async () => {
    const v6 = createSocket('udp6');
    await new Promise<void>((resolve) => v6.bind({ address: '::1', port: 0 }, resolve));
    try {
      const peerPort = v6.address().port;
      const socket = await transferSocketFactory(kind)('::1', { address: '::1', port: peerPort });
      opened.push(socket);
      const heard = listener();
      socket.listen(heard.handlers);
      v6.send(ack(3), socket.local.port, '::1');
      await heard.until(1);
      expect(heard.acks).toEqual([3]);
      const data = new Promise<Buffer>((resolve) => v6.once('message', resolve));
      socket.setData(Buffer.from('xyz'), 512);
      socket.sendBlocks(1, 1);
      expect(await data).toEqual(Buffer.from([0, 3, 0, 1, 120, 121, 122]));
    } finally {
      v6.close();
    }
  });
});

describe('native transfer socket: a window as segmented sends (UDP GSO)', () => {
  // The kernel cuts a segmented send at block size + 4 octets, so each block must still arrive as a datagram of its
  // own, whole, in order, the final one short; a send carries at most 64 segments and 65507 octets.
  it.each([
    ['1468-octet blocks: 44 to a send, so two sends; a final block of 5 octets', 1468, 60, 5, 2],
    [
      '1468-octet blocks: the empty final block of a size that is a multiple of the block size',
      1468,
      30,
      0,
      1,
    ],
    ['8-octet blocks: 64 to a send, so two sends', 8, 100, 5, 2],
    ['65464-octet blocks: one to a send, so sent one by one', 65_464, 3, 5, 0],
  ])('%s: every block its own datagram, in order', async (_label, blockSize, count, tail, sends) => {
    const peer = await RawPeer.open();
    peers.push(peer);
    peer.socket.setRecvBufferSize(4 * 1024 * 1024);
    const socket = addon.open('127.0.0.1', nothing, nothing, nothing, nothing);
    try {
      addon.setPeer(socket, '127.0.0.1', peer.port);
      const data = patterned((count - 1) * blockSize + tail);
      addon.setData(socket, data, blockSize);
      expect(addon.sendBlocks(socket, 1, count)).toBe(count);
      const got: Buffer[] = [];
      for (let i = 0; i < count; i++) got.push((await peer.next()).bytes);
      expect(got).toEqual(dataBlocks(data, blockSize, count));
      expect(await peer.maybeNext(50)).toBeUndefined();
      expect(addon.segmentation(socket)).toEqual({ sends, declined: false });
    } finally {
      addon.close(socket);
    }
  });

  it('segments over IPv6 too', async () => {
    const v6 = createSocket('udp6');
    await new Promise<void>((resolve) => v6.bind({ address: '::1', port: 0 }, resolve));
    const got: Buffer[] = [];
    const all = new Promise<void>((resolve) => {
      v6.on('message', (bytes) => {
        got.push(bytes);
        if (got.length === 10) resolve();
      });
    });
    const socket = addon.open('::1', nothing, nothing, nothing, nothing);
    try {
      addon.setPeer(socket, '::1', v6.address().port);
      const data = patterned(9 * 1468 + 7);
      addon.setData(socket, data, 1468);
      expect(addon.sendBlocks(socket, 1, 10)).toBe(10);
      await withTimeout(all, 2_000, 'ten datagrams on ::1');
      expect(got).toEqual(dataBlocks(data, 1468, 10));
      expect(addon.segmentation(socket)).toEqual({ sends: 1, declined: false });
    } finally {
      addon.close(socket);
      v6.close();
    }
  });
});

describe('native transfer socket: its arguments', () => {
  it('refuses a host that is not an address literal, and a peer of the other family', () => {
    expect(() => addon.open('localhost', nothing, nothing, nothing, nothing)).toThrow(/address literal/);
    const socket = addon.open('127.0.0.1', nothing, nothing, nothing, nothing);
    try {
      expect(() => {
        addon.setPeer(socket, '::1', 69);
      }).toThrow(/family/);
      expect(() => {
        addon.setPeer(socket, '127.0.0.1', 0);
      }).toThrow(RangeError);
    } finally {
      addon.close(socket);
    }
  });

  it('refuses to send before it knows its peer and its data, or past the end of the data', () => {
    const socket = addon.open('127.0.0.1', nothing, nothing, nothing, nothing);
    try {
      expect(() => addon.sendBlocks(socket, 1, 1)).toThrow(/setData and setPeer/);
      addon.setPeer(socket, '127.0.0.1', 9);
      addon.setData(socket, new Uint8Array(1024), 512);
      expect(() => addon.sendBlocks(socket, 1, 4)).toThrow(/past the end/);
      expect(() => addon.sendBlocks(socket, 0, 1)).toThrow(RangeError);
      expect(() => {
        addon.setData(socket, new Uint8Array(8), 7);
      }).toThrow(/block size/);
    } finally {
      addon.close(socket);
    }
  });

  it('takes no other value for a socket', () => {
    expect(() => addon.local({} as never)).toThrow(/not a transfer socket/);
    expect(() => {
      addon.close(Buffer.alloc(1) as never);
    }).toThrow(/not a transfer socket/);
  });

  it('closes what a worker thread left open when the worker ends', async () => {
    // Opened in a worker and never closed: the environment's cleanup hook closes it at the worker's end, before
    // the worker's loop could call into an environment that can no longer run JavaScript.
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const addon = require(workerData);
       const socket = addon.open('127.0.0.1', () => {}, () => {}, () => {}, () => {});
       parentPort.postMessage(addon.local(socket).port);`,
      { eval: true, workerData: TFTP_SOCKET_ADDON_PATH },
    );
    const port = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    expect(port).toBeGreaterThan(0);
    expect(await worker.terminate()).toBe(1);
    // Its port is free again: nothing holds the socket any more (and the process did not crash on the way).
    const reuse = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      reuse.once('error', reject);
      reuse.bind({ address: '127.0.0.1', port, exclusive: true }, resolve);
    });
    reuse.close();
  });

  it('refuses a busy-poll window that is not a whole number of µs from 0 to 1 000 000', () => {
    for (const bad of [-1, 1.5, 1_000_001, Number.NaN]) {
      expect(() => {
        addon.busyPoll(bad);
      }).toThrow(RangeError);
    }
    expect(() => {
      addon.busyPoll('50' as never);
    }).toThrow(TypeError);
  });

  it('says what to do when the addon file is missing', () => {
    expect(() => loadTftpSocketAddon('/nonexistent/fleetboot_tftp_socket.node')).toThrow(NativeAddonError);
    expect(() => loadTftpSocketAddon('/nonexistent/fleetboot_tftp_socket.node')).toThrow(/npm run build/);
  });
});

describe('native transfer socket: busy polling', () => {
  const handles: ReturnType<typeof addon.open>[] = [];

  afterEach(() => {
    addon.busyPoll(0);
    for (const handle of handles.splice(0)) addon.close(handle);
  });

  /**
   * A socket whose peer (or a stranger) sends it an ACK on demand; `send` resolves with whether the loop was busy
   * polling just after the socket handled it (on the next turn: the window starts once the handling is done).
   * `holdMs`: the handling itself takes that long. A lock-step socket unless `lockStep` is false.
   */
  async function polledSocket(
    lockStep = true,
  ): Promise<{ send(from?: 'peer' | 'stranger', holdMs?: number): Promise<boolean> }> {
    const [peer, stranger] = [await RawPeer.open(), await RawPeer.open()];
    peers.push(peer, stranger);
    let heard: ((polling: boolean) => void) | undefined;
    let hold = 0;
    const handled = (): void => {
      const until = Date.now() + hold;
      while (Date.now() < until) {
        // The handling of this datagram, taking its time on the loop's thread.
      }
      setImmediate(() => heard?.(addon.busyPolling()));
    };
    const socket = addon.open('127.0.0.1', handled, nothing, handled, nothing);
    handles.push(socket);
    addon.setPeer(socket, '127.0.0.1', peer.port);
    if (lockStep) addon.lockStep(socket);
    const port = addon.local(socket).port;
    return {
      async send(from = 'peer', holdMs = 0) {
        hold = holdMs;
        const polling = new Promise<boolean>((resolve, reject) => {
          heard = resolve;
          setTimeout(() => {
            reject(new Error('the ACK was not handled within 5 s'));
          }, 5_000);
        });
        await (from === 'peer' ? peer : stranger).send(ack(1), port);
        return polling;
      },
    };
  }

  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('is off unless a window is set', async () => {
    const socket = await polledSocket();
    expect(await socket.send()).toBe(false);
    expect(addon.busyPollWindow()).toBe(0);
  });

  it("keeps the loop polling for the window after its peer's datagram, then lets it sleep", async () => {
    addon.busyPoll(300_000);
    const socket = await polledSocket();
    expect(addon.busyPolling()).toBe(false); // no datagram yet: nothing to poll for
    expect(await socket.send()).toBe(true);
    // Nothing arrives any more: the first turn of the loop past the window stops it.
    const deadline = Date.now() + 3_000;
    while (addon.busyPolling() && Date.now() < deadline) await pause(20);
    expect(addon.busyPolling()).toBe(false);
  });

  it("buys no polling with a stranger's datagram (another TID)", async () => {
    addon.busyPoll(300_000);
    const socket = await polledSocket();
    expect(await socket.send('stranger')).toBe(false);
    expect(await socket.send('peer')).toBe(true);
  });

  it('halves its window when datagrams come further apart than the largest, and doubles it when closer', async () => {
    // Largest 1 s: the first datagram has no history (the whole window); 1.5 s apart, beyond the largest, each
    // halves it; then 500 ms apart (longer than the 250 ms left, well within the largest) doubles it.
    addon.busyPoll(1_000_000);
    const socket = await polledSocket();
    await socket.send();
    expect(addon.busyPollWindow()).toBe(1_000_000);
    await pause(1_500);
    await socket.send();
    expect(addon.busyPollWindow()).toBe(500_000);
    await pause(1_500);
    await socket.send();
    expect(addon.busyPollWindow()).toBe(250_000);
    await pause(500);
    await socket.send();
    expect(addon.busyPollWindow()).toBe(500_000);
  });

  it('judges the gap from the end of the last handling to the arrival, not counting the handling itself', async () => {
    // 300 ms after the first datagram's handling ended, the second arrives and takes 900 ms to handle: the
    // window (1 s) covered the 300 ms, so it stays; counting the handling (1.2 s, past the largest) would halve it.
    addon.busyPoll(1_000_000);
    const socket = await polledSocket();
    await socket.send();
    await pause(300);
    expect(await socket.send('peer', 900)).toBe(true);
    expect(addon.busyPollWindow()).toBe(1_000_000);
  });

  it('stops polling once halving takes the window under 10 µs, where it would grow from', async () => {
    addon.busyPoll(15);
    const socket = await polledSocket();
    expect(await socket.send()).toBe(true);
    expect(addon.busyPollWindow()).toBe(15);
    await pause(20);
    expect(await socket.send()).toBe(false); // 7.5 µs would be left: none
    expect(addon.busyPollWindow()).toBe(0);
  });

  it('polls for a lock-step socket only: not for a windowed one, whoever sends its blocks', async () => {
    addon.busyPoll(300_000);
    // JavaScript sends (a streamed or converted file): whether the socket polls is the transfer's word alone.
    expect(await (await polledSocket(false)).send()).toBe(false);
    // The autopilot sends, one block or two per ACK: only the socket marked lock-step polls.
    const peer = await RawPeer.open();
    peers.push(peer);
    for (const [window, lockStep] of [
      [2, false],
      [1, false],
      [1, true],
    ] as const) {
      const socket = addon.open('127.0.0.1', nothing, nothing, nothing, nothing);
      handles.push(socket);
      addon.setPeer(socket, '127.0.0.1', peer.port);
      if (lockStep) addon.lockStep(socket);
      addon.setData(socket, patterned(4 * 512 + 1), 512);
      addon.autopilot(socket, window, 5, window); // blocks up to `window` sent: its ACK sends the next window
      await peer.send(ack(window), addon.local(socket).port);
      for (let i = 0; i < window; i++) await peer.next();
      expect(addon.busyPolling()).toBe(lockStep);
    }
  });

  it('stops at once when the window is set to 0', async () => {
    addon.busyPoll(1_000_000);
    const socket = await polledSocket();
    expect(await socket.send()).toBe(true);
    addon.busyPoll(0);
    expect(addon.busyPolling()).toBe(false);
    expect(await socket.send()).toBe(false);
  });

  it('keeps no process alive: one exits with its window still open', async () => {
    // The child sets a 1 s window, is ACKed, closes its socket and has nothing left to do. At 'exit' the window
    // is still open (busyPolling() true): the loop ended anyway, the idle handle being unreferenced.
    const script = `
      const addon = require(process.argv[1]);
      const dgram = require('node:dgram');
      addon.busyPoll(1000000);
      const socket = addon.open('127.0.0.1', () => { addon.close(socket); peer.close(); }, () => {}, () => {}, () => {});
      addon.lockStep(socket);
      const peer = dgram.createSocket('udp4');
      peer.bind(0, '127.0.0.1', () => {
        addon.setPeer(socket, '127.0.0.1', peer.address().port);
        peer.send(Buffer.from([0, 4, 0, 1]), addon.local(socket).port, '127.0.0.1');
      });
      process.on('exit', () => { process.stdout.write('polling at exit: ' + addon.busyPolling()); });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', script, TFTP_SOCKET_ADDON_PATH], {
      timeout: 10_000,
    });
    expect(stdout).toBe('polling at exit: true');
  });

  it('is closed with the worker whose window it was, whether the worker ends or is terminated', async () => {
    // The worker opens a window and reports it; then it either has nothing left to do and ends, or stays (a
    // listener on its port) until terminated: either way its environment's teardown closes the idle handle.
    const script = `const { parentPort, workerData } = require('node:worker_threads');
       const dgram = require('node:dgram');
       const addon = require(workerData.addon);
       if (workerData.stay) parentPort.on('message', () => {});
       addon.busyPoll(1000000);
       const socket = addon.open('127.0.0.1', () => {
         addon.close(socket);
         peer.close();
         setImmediate(() => parentPort.postMessage(addon.busyPolling()));
       }, () => {}, () => {}, () => {});
       addon.lockStep(socket);
       const peer = dgram.createSocket('udp4');
       peer.bind(0, '127.0.0.1', () => {
         addon.setPeer(socket, '127.0.0.1', peer.address().port);
         peer.send(Buffer.from([0, 4, 0, 1]), addon.local(socket).port, '127.0.0.1');
       });`;
    for (const stay of [false, true]) {
      const worker = new Worker(script, { eval: true, workerData: { addon: TFTP_SOCKET_ADDON_PATH, stay } });
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      const polling = await new Promise<unknown>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(polling).toBe(true);
      if (stay) expect(await worker.terminate()).toBe(1);
      else expect(await exited).toBe(0);
    }
  });
});
