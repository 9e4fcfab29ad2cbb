// One window of DATA from a native transfer socket, and what arrived: run inside a lab host by
// test/net/tftp-segmentation.test.ts, since what it probes (the kernel declining a segmented send for a path MTU
// below a block) needs an interface this process may reconfigure.
//   node --import tsx segment-probe.ts '<json SegmentProbeSpec>'
// Sends blocks 1 … count of patterned(size) at blockSize to a UDP socket on 127.0.0.1, collects count datagrams
// (within 2 s), and prints one JSON line (SegmentProbeResult). Exit status 0 unless something threw.
import { createSocket } from 'node:dgram';
import { loadTftpSocketAddon, type Segmentation } from '../../../src/net/tftp-transfer-socket.js';
import { patterned } from './fs.js';

export interface SegmentProbeSpec {
  readonly blockSize: number;
  readonly count: number;
  readonly size: number;
}

export interface SegmentProbeResult {
  /** What sendBlocks returned: the blocks the kernel took. */
  readonly taken: number;
  /** The socket's segmentation() after the send. */
  readonly segmentation: Segmentation;
  /** Every datagram received, in order, base64. */
  readonly datagrams: readonly string[];
}

const spec = JSON.parse(process.argv[2] ?? '') as SegmentProbeSpec;
const receiver = createSocket('udp4');
const datagrams: string[] = [];
await new Promise<void>((resolve) => receiver.bind({ address: '127.0.0.1', port: 0 }, resolve));
receiver.setRecvBufferSize(4 * 1024 * 1024);
const arrived = new Promise<void>((resolve, reject) => {
  const timer = setTimeout(() => {
    reject(new Error(`${String(datagrams.length)} of ${String(spec.count)} datagrams within 2 s`));
  }, 2_000);
  receiver.on('message', (bytes) => {
    datagrams.push(bytes.toString('base64'));
    if (datagrams.length === spec.count) {
      clearTimeout(timer);
      resolve();
    }
  });
});
const addon = loadTftpSocketAddon();
const nothing = (): void => undefined;
const socket = addon.open('127.0.0.1', nothing, nothing, nothing, nothing);
try {
  addon.setPeer(socket, '127.0.0.1', receiver.address().port);
  addon.setData(socket, patterned(spec.size), spec.blockSize);
  const taken = addon.sendBlocks(socket, 1, spec.count);
  await arrived;
  const result: SegmentProbeResult = { taken, segmentation: addon.segmentation(socket), datagrams };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  addon.close(socket);
  receiver.close();
}
