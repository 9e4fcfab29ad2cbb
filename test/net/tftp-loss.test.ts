// Catalogue F09: TFTP under packet loss, injected with nftables on a host's input hook (this kernel has no netem).
// Every transfer of the matrix blksize 512/1468/8192 × windowsize 1/4/16 must complete with the right SHA-256.
//
// Kept fast on purpose: 256 KiB files, the nine transfers of a matrix run at once, and the server retransmits after
// 50 ms (`timeoutMs`, an engine parameter; the configured minimum is 1 s) with 10 retries, since at 20 % loss the
// chance that 6 tries in a row are lost (0.2⁶ per block) is not small over thousands of blocks.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Host } from '../../src/lab/index.js';
import { describeLab, useLab } from '../support/lab.js';
import type { FetchJob } from './tftp-fixtures/fetch.js';
import { makeTree, patterned, type TftpTree } from './tftp-fixtures/fs.js';
import { type LabServer, runFetch, startLabServer } from './tftp-fixtures/lab.js';

const SIZE = 256 * 1024;
const CONTENT = patterned(SIZE, 31);
const HASH = createHash('sha256').update(CONTENT).digest('hex');

const MATRIX: FetchJob[] = [512, 1468, 8192].flatMap((blksize) =>
  [1, 4, 16].map((windowsize) => ({
    file: 'payload.bin',
    blksize,
    windowsize,
    tsize: true,
    label: `${blksize}x${windowsize}`,
    retransmitMs: 300,
    giveUpMs: 30_000,
    // Stay to re-acknowledge a final block whose ACK was lost, so the server ends ok, not in a timeout.
    dallyMs: 1_500,
  })),
);

describeLab('TFTP under packet loss (nftables, input hook)', () => {
  const lab = useLab('tftp-loss');
  let tree: TftpTree;
  let out: string;
  let serverHost: Host;
  let client: Host;
  let server: LabServer;
  let fdsAtStart: number;

  beforeAll(async () => {
    tree = makeTree();
    tree.write('payload.bin', CONTENT);
    out = mkdtempSync(path.join(tmpdir(), 'fleetboot-tftp-loss-'));
    const sw = await lab().addSwitch();
    serverHost = await lab().addHost('server', { switch: sw, address: '198.18.1.1/24' });
    client = await lab().addHost('client', { switch: sw, address: '198.18.1.2/24' });
    // A window goes out as one segmented send (UDP GSO) and the veth would carry it whole to the client's input
    // hook, where the drop rule would take the window for one packet. Segmented in software on the server's
    // interface instead, as by a NIC without UDP segmentation offload, each DATA datagram is dropped on its own.
    const segmentHere = ['link', 'set', 'dev', serverHost.interfaces[0]?.name ?? '', 'gso_max_segs', '1'];
    const segmented = await serverHost.exec('ip', segmentHere);
    expect(segmented.code, segmented.stderr).toBe(0);
    server = await startLabServer(serverHost, {
      config: {
        listen: { host: '198.18.1.1', port: 69 },
        blocksize: 8192,
        windowsize: 16,
        timeout: 1,
        retries: 10,
        maxTransfers: 100,
        maxPerClient: 32,
        busyPoll: 200,
      },
      roots: [tree.root],
      timeoutMs: 50,
      // blksize 8192 is fragmented on this 1500-MTU segment; allowed here for the matrix.
      mtu: 9000,
    });
    fdsAtStart = await server.fds();
  }, 60_000);

  afterAll(() => {
    tree.remove();
    rmSync(out, { recursive: true, force: true });
  });

  const cases: ['client' | 'server', number][] = [
    ['client', 5],
    ['client', 20],
    ['server', 5],
    ['server', 20],
  ];

  it.each(cases)(
    'drop %s input at %i percent: all nine transfers complete with the right hash',
    async (where, percent) => {
      const lossy = where === 'client' ? client : serverHost;
      const recordsBefore = server.records().length;
      await lossy.dropIncoming(percent);
      try {
        const run = await runFetch(
          client,
          { server: { address: '198.18.1.1', port: 69 }, jobs: MATRIX },
          90_000,
        );
        expect(run.stderr).toBe('');
        const byLabel = [...run.results].sort((a, b) => (a.label ?? '').localeCompare(b.label ?? ''));
        expect(byLabel.map((r) => [r.label, r.ok, r.sha256 === HASH])).toEqual(
          MATRIX.map((job) => [job.label, true, true]).sort((a, b) =>
            String(a[0]).localeCompare(String(b[0])),
          ),
        );
        expect(await lossy.droppedPackets()).toBeGreaterThan(0);
      } finally {
        await lossy.dropIncoming(0);
      }
      const records = (await server.waitForRecords(recordsBefore + MATRIX.length)).slice(recordsBefore);
      expect(records.map((r) => r.result.kind)).toEqual(MATRIX.map(() => 'ok'));
      expect(records.some((r) => r.retransmits > 0)).toBe(true);
    },
    120_000,
  );

  it('real clients under 20 % loss: tftp-hpa (no options) and atftp (blksize 1468, windowsize 4)', async () => {
    const recordsBefore = server.records().length;
    await client.dropIncoming(20);
    try {
      const hpa = await client.exec(
        'tftp',
        ['-m', 'binary', '198.18.1.1', '-c', 'get', 'payload.bin', path.join(out, 'hpa.bin')],
        { timeoutMs: 90_000 },
      );
      expect(hpa.code).toBe(0);
      const atftp = await client.exec(
        'atftp',
        [
          ...['--option', 'blksize 1468', '--option', 'windowsize 4', '--option', 'tsize 0'],
          ...['-g', '-r', 'payload.bin', '-l', path.join(out, 'atftp.bin'), '198.18.1.1'],
        ],
        { timeoutMs: 90_000 },
      );
      expect(atftp.code, atftp.stderr).toBe(0);
    } finally {
      await client.dropIncoming(0);
    }
    for (const file of ['hpa.bin', 'atftp.bin']) {
      expect(
        createHash('sha256')
          .update(readFileSync(path.join(out, file)))
          .digest('hex'),
      ).toBe(HASH);
    }
    await server.waitForRecords(recordsBefore + 2);
  }, 120_000);

  it('leaves no transfer socket open behind (F11)', async () => {
    const deadline = Date.now() + 10_000;
    let fds = await server.fds();
    while (fds !== fdsAtStart && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      fds = await server.fds();
    }
    expect(fds).toBe(fdsAtStart);
    await server.stop();
  }, 20_000);
});
