// A small TFTP client for the tests: RRQ with blksize/tsize/windowsize/timeout (RFC 2347–2349, 7440), block
// rollover, a SHA-256 of what arrived (so 50 × 64 MiB is hashed, not held), and the receiver's side of RFC 7440
// (ACK the last block of each window; on a gap, ACK the last block received in order). Every wait is bounded.
import { createHash } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { decodeTftpPacket, encodeTftpPacket, type TftpOption } from '../../../src/protocol/tftp/index.js';

export interface GetOptions {
  readonly server: { readonly address: string; readonly port: number };
  readonly file: string;
  readonly mode?: 'octet' | 'netascii';
  readonly blksize?: number;
  readonly windowsize?: number;
  /** Ask for tsize (sends `tsize 0`). */
  readonly tsize?: boolean;
  /** RFC 2349 `timeout`, seconds. */
  readonly timeout?: number;
  /** More options, sent after the ones above, as is. */
  readonly extraOptions?: readonly TftpOption[];
  /** Silence after which the client resends its last packet (RRQ or ACK); default 500 ms. */
  readonly retransmitMs?: number;
  /** Silence after which the client gives up; default 15 s. */
  readonly giveUpMs?: number;
  /** After the final ACK, stay this long to re-ACK a retransmitted final block (RFC 1350 §6 "dally"); default 0. */
  readonly dallyMs?: number;
  /** Keep the received bytes in the result (small files only). */
  readonly keep?: boolean;
  readonly bindAddress?: string;
}

export interface GetResult {
  readonly ok: boolean;
  readonly sha256: string;
  readonly bytes: number;
  readonly oack: Readonly<Record<string, string>> | undefined;
  readonly error: { readonly code: number; readonly message: string } | 'timeout' | undefined;
  readonly data: Uint8Array | undefined;
  /** The server's TID. */
  readonly serverPort: number | undefined;
  /** Out-of-order or duplicate DATA seen. */
  readonly duplicates: number;
  readonly durationMs: number;
}

export function tftpGet(options: GetOptions): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: options.bindAddress ?? '0.0.0.0', port: 0 }, () => {
      socket.off('error', reject);
      new Receiver(socket, options, resolve).start();
    });
  });
}

class Receiver {
  private readonly hash = createHash('sha256');
  private readonly chunks: Uint8Array[] = [];
  private readonly started = Date.now();
  private blockSize = 512;
  private windowSize = 1;
  private oack: Record<string, string> | undefined;
  private serverPort: number | undefined;
  /** Index of the next block expected (1-based, not wrapped). */
  private expected = 1;
  private inWindow = 0;
  private bytes = 0;
  private duplicates = 0;
  private lastSent: Uint8Array;
  /** When something new last arrived: the silence that triggers a resend and the give-up is counted from it. */
  private lastProgress = Date.now();
  private gapAckedFor = 0;
  private finalBlock: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private done = false;

  constructor(
    private readonly socket: Socket,
    private readonly options: GetOptions,
    private readonly resolve: (result: GetResult) => void,
  ) {
    this.lastSent = encodeTftpPacket({
      kind: 'rrq',
      filename: options.file,
      mode: options.mode ?? 'octet',
      options: requestOptions(options),
    });
  }

  start(): void {
    this.socket.on('message', (message, remote) => {
      this.receive(message, remote);
    });
    this.sendLast();
    this.tick();
  }

  private receive(message: Buffer, remote: RemoteInfo): void {
    if (remote.address !== this.options.server.address && this.options.server.address !== '0.0.0.0') return;
    if (this.serverPort === undefined) this.serverPort = remote.port;
    if (remote.port !== this.serverPort) return;
    let packet;
    try {
      packet = decodeTftpPacket(message);
    } catch {
      return;
    }
    switch (packet.kind) {
      case 'oack':
        if (this.expected !== 1) return;
        // The OACK came again: our ACK 0 was lost.
        if (this.oack !== undefined) {
          this.ack(0);
          return;
        }
        this.lastProgress = Date.now();
        this.oack = Object.fromEntries(packet.options.map((o) => [o.name.toLowerCase(), o.value]));
        this.blockSize = Number(this.oack.blksize ?? 512);
        this.windowSize = Number(this.oack.windowsize ?? 1);
        this.ack(0);
        return;
      case 'data':
        this.data(packet.block, packet.data);
        return;
      case 'error':
        this.finish({ code: packet.code, message: packet.message });
        return;
      case 'rrq':
      case 'wrq':
      case 'ack':
        return;
    }
  }

  private data(block: number, data: Uint8Array): void {
    if (this.finalBlock !== undefined) {
      // Dallying: the server did not hear the final ACK.
      if (block === this.finalBlock) this.ack(block);
      return;
    }
    const expectedNumber = this.expected % 65536;
    if (block !== expectedNumber) {
      this.duplicates += 1;
      const ahead = (block - expectedNumber + 65536) % 65536;
      if (ahead < 32768) {
        // RFC 7440 §4: a gap; acknowledge the last block received in order, once per gap.
        if (this.gapAckedFor !== this.expected) {
          this.gapAckedFor = this.expected;
          this.inWindow = 0;
          this.ack((this.expected - 1) % 65536);
        }
      } else if (block === (this.expected - 1) % 65536) {
        // The last block of a window we acknowledged came again: our ACK was lost.
        this.ack(block);
      }
      return;
    }
    this.lastProgress = Date.now();
    this.hash.update(data);
    if (this.options.keep === true) this.chunks.push(Uint8Array.from(data));
    this.bytes += data.length;
    this.expected += 1;
    this.inWindow += 1;
    if (data.length < this.blockSize) {
      this.finalBlock = block;
      this.ack(block);
      this.finish(undefined);
      return;
    }
    if (this.inWindow >= this.windowSize) {
      this.inWindow = 0;
      this.ack(block);
    }
  }

  private ack(block: number): void {
    this.lastSent = encodeTftpPacket({ kind: 'ack', block });
    this.sendLast();
  }

  private sendLast(): void {
    const port = this.serverPort ?? this.options.server.port;
    this.socket.send(this.lastSent, port, this.options.server.address);
  }

  private tick(): void {
    const every = this.options.retransmitMs ?? 500;
    this.timer = setTimeout(() => {
      if (this.done) return;
      if (Date.now() - this.lastProgress >= (this.options.giveUpMs ?? 15_000)) {
        this.finish('timeout');
        return;
      }
      if (Date.now() - this.lastProgress >= every) this.sendLast();
      this.tick();
    }, every);
  }

  private finish(error: GetResult['error']): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    const result: GetResult = {
      ok: error === undefined,
      sha256: this.hash.digest('hex'),
      bytes: this.bytes,
      oack: this.oack,
      error,
      data: this.options.keep === true ? Buffer.concat(this.chunks) : undefined,
      serverPort: this.serverPort,
      duplicates: this.duplicates,
      durationMs: Date.now() - this.started,
    };
    const dally = error === undefined ? (this.options.dallyMs ?? 0) : 0;
    setTimeout(() => {
      this.socket.close(() => {
        this.resolve(result);
      });
    }, dally);
  }
}

function requestOptions(options: GetOptions): TftpOption[] {
  const out: TftpOption[] = [];
  if (options.blksize !== undefined) out.push({ name: 'blksize', value: String(options.blksize) });
  if (options.tsize === true) out.push({ name: 'tsize', value: '0' });
  if (options.timeout !== undefined) out.push({ name: 'timeout', value: String(options.timeout) });
  if (options.windowsize !== undefined) out.push({ name: 'windowsize', value: String(options.windowsize) });
  return [...out, ...(options.extraOptions ?? [])];
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
