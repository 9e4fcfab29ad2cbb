// A window sent as one segmented UDP send (UDP GSO, native/transfer_socket.c send_segmented) where the kernel will
// not segment it: here a path MTU below one DATA datagram, the case of a block size negotiated past the interface's
// MTU. The socket must notice, send each block alone from then on, and put the same datagrams on the wire. Needs
// the lab: the MTU is changed on the loopback of a namespace of the test's own.
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { Host } from '../../src/lab/index.js';
import { TSX_LOADER } from '../support/cli.js';
import { describeLab, useLab } from '../support/lab.js';
import { patterned } from './tftp-fixtures/fs.js';
import { dataBlocks } from './tftp-fixtures/packets.js';
import type { SegmentProbeResult, SegmentProbeSpec } from './tftp-fixtures/segment-probe.js';

const PROBE = fileURLToPath(new URL('./tftp-fixtures/segment-probe.ts', import.meta.url));

async function probe(host: Host, spec: SegmentProbeSpec): Promise<SegmentProbeResult> {
  const run = await host.exec(process.execPath, ['--import', TSX_LOADER, PROBE, JSON.stringify(spec)], {
    timeoutMs: 20_000,
  });
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as SegmentProbeResult;
}

/** What the probe should have received for `spec`, base64 as it reports it. */
function expectedDatagrams(spec: SegmentProbeSpec): string[] {
  return dataBlocks(patterned(spec.size), spec.blockSize, spec.count).map((d) => d.toString('base64'));
}

describeLab('TFTP segmented sends where the kernel will not segment', () => {
  const lab = useLab('tftp-gso');

  it('a path MTU below one block: the same datagrams, sent one by one from then on', async () => {
    const host = await lab().addHost('probe');
    // 20 blocks of 1468 octets, the last one 100: one segmented send of 1472-octet segments at loopback's MTU.
    const spec: SegmentProbeSpec = { blockSize: 1468, count: 20, size: 19 * 1468 + 100 };
    const segmented = await probe(host, spec);
    expect([segmented.taken, segmented.segmentation]).toEqual([20, { sends: 1, declined: false }]);
    expect(segmented.datagrams).toEqual(expectedDatagrams(spec));

    // 1472 + 28 octets of headers no longer fit: the kernel refuses the segment size (EINVAL), and each block
    // goes as a datagram of its own, fragmented by IP and put together again on arrival.
    const mtu = await host.exec('ip', ['link', 'set', 'dev', 'lo', 'mtu', '1280']);
    expect(mtu.code, mtu.stderr).toBe(0);
    const declined = await probe(host, spec);
    expect([declined.taken, declined.segmentation]).toEqual([20, { sends: 0, declined: true }]);
    expect(declined.datagrams).toEqual(expectedDatagrams(spec));
  }, 60_000);
});
