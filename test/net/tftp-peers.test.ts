// Real TFTP clients (tftp-hpa 5.2, atftp 0.8) against the server, each in a namespace of its own on a lab switch.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Host, LabProcess, Switch } from '../../src/lab/index.js';
import { describeLab, useLab } from '../support/lab.js';
import { makeTree, patterned, type TftpTree } from './tftp-fixtures/fs.js';
import { type LabServer, startLabServer } from './tftp-fixtures/lab.js';

const hash = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describeLab('TFTP: real clients in a lab', () => {
  const lab = useLab('tftp-peers');
  let tree: TftpTree;
  let out: string;
  let sw: Switch;
  let client: Host;
  let server: LabServer;
  let capture: LabProcess;
  const pcap = () => path.join(out, 'segment.pcap');
  const KERNEL = patterned(3 * 1024 * 1024 + 123, 21);
  const LOADER = patterned(40_000, 22);
  const TEXT = Buffer.from('DEFAULT install\nLABEL install\r\n  KERNEL linux\n'.repeat(200));

  beforeAll(async () => {
    tree = makeTree();
    tree.write('boot/linux', KERNEL);
    tree.write('pxelinux.0', LOADER);
    tree.write('menu.txt', TEXT);
    symlinkSync(tree.outside, path.join(tree.root, 'escape'));
    out = mkdtempSync(path.join(tmpdir(), 'fleetboot-tftp-out-'));
    sw = await lab().addSwitch();
    const serverHost = await lab().addHost('server', { switch: sw, address: '198.18.0.1/24' });
    client = await lab().addHost('client', { switch: sw, address: '198.18.0.2/24' });
    capture = sw.run('tcpdump', ['-i', sw.bridge, '-U', '-n', '-w', pcap(), 'udp']);
    await capture.waitForLine(/listening on/, { stream: 'stderr', timeoutMs: 10_000 });
    server = await startLabServer(serverHost, {
      config: {
        listen: { host: '198.18.0.1', port: 69 },
        blocksize: 8192,
        windowsize: 16,
        timeout: 1,
        retries: 5,
        maxTransfers: 100,
        maxPerClient: 8,
        busyPoll: 200,
      },
      roots: [tree.root],
      // Blocks of 8192 need IP fragmentation on this 1500-MTU segment; allowed here on purpose.
      mtu: 9000,
    });
  }, 60_000);

  afterAll(async () => {
    await capture.stop();
    tree.remove();
    rmSync(out, { recursive: true, force: true });
  });

  const local = (name: string) => path.join(out, name);
  const tftpHpa = (args: string[]) => client.exec('tftp', args, { cwd: out, timeoutMs: 30_000 });

  it('tftp-hpa fetches in binary mode (no options), with and without -v', async () => {
    const plain = await tftpHpa([
      '-m',
      'binary',
      '198.18.0.1',
      '-c',
      'get',
      'boot/linux',
      local('hpa-linux'),
    ]);
    expect(plain.code).toBe(0);
    expect(hash(readFileSync(local('hpa-linux')))).toBe(hash(KERNEL));
    const verbose = await tftpHpa([
      '-v',
      '-m',
      'binary',
      '198.18.0.1',
      '-c',
      'get',
      'pxelinux.0',
      local('hpa-pxe'),
    ]);
    expect(verbose.code).toBe(0);
    expect(verbose.stdout).toMatch(/Received 40000 bytes/);
    expect(hash(readFileSync(local('hpa-pxe')))).toBe(hash(LOADER));
  });

  it('tftp-hpa fetches a text file in netascii and gets it back as it is on disk', async () => {
    const ascii = await tftpHpa(['-m', 'ascii', '198.18.0.1', '-c', 'get', 'menu.txt', local('hpa-menu')]);
    expect(ascii.code).toBe(0);
    expect(readFileSync(local('hpa-menu'))).toEqual(TEXT);
  });

  const atftpCases: [string, string[]][] = [
    ['no options', []],
    ['blksize 1468 tsize 0', ['--option', 'blksize 1468', '--option', 'tsize 0']],
    [
      'blksize 1468 tsize 0 windowsize 4',
      ['--option', 'blksize 1468', '--option', 'tsize 0', '--option', 'windowsize 4'],
    ],
    ['blksize 8192 windowsize 16', ['--option', 'blksize 8192', '--option', 'windowsize 16']],
  ];
  it.each(atftpCases)('atftp fetches with %s: SHA-256 identical', async (name, options) => {
    const file = local(`atftp-${name.replaceAll(' ', '-')}`);
    const result = await client.exec(
      'atftp',
      [...options, '-g', '-r', 'boot/linux', '-l', file, '198.18.0.1'],
      {
        timeoutMs: 30_000,
      },
    );
    expect(result.code, result.stderr).toBe(0);
    expect(hash(readFileSync(file))).toBe(hash(KERNEL));
  });

  it('the server recorded each fetch as ok with the options it negotiated', async () => {
    const records = await server.waitForRecords(7);
    const kernel = records.filter((r) => r.file === 'boot/linux');
    expect(kernel.every((r) => r.result.kind === 'ok' && r.bytes === KERNEL.length)).toBe(true);
    // No loss on this segment: nothing needed resending, whatever the block and window sizes.
    expect(kernel.map((r) => r.retransmits)).toEqual([0, 0, 0, 0, 0]);
    expect(kernel.map((r) => r.options.accepted.map((o) => `${o.name}=${o.value}`).join(' '))).toEqual([
      '',
      '',
      'tsize=3145851 blksize=1468',
      'tsize=3145851 blksize=1468 windowsize=4',
      // 16 × 8192 octets are more than one window may carry (64 KiB): the OACK grants 8.
      'blksize=8192 windowsize=8',
    ]);
  });

  it('refuses traversal and a symlink out of the root; the canary never crosses the wire (I6)', async () => {
    const fdsBefore = await server.fds();
    for (const name of ['../../etc/passwd', '../secret.txt', 'escape', '/etc/passwd']) {
      const target = local(`trav-${name.replace(/[^a-z]/g, '_')}`);
      const hpa = await tftpHpa(['-m', 'binary', '198.18.0.1', '-c', 'get', name, target]);
      expect(hpa.stdout + hpa.stderr).toMatch(/Error code [12]/);
      const atftp = await client.exec('atftp', ['-g', '-r', name, '-l', `${target}-a`, '198.18.0.1'], {
        timeoutMs: 30_000,
      });
      expect(atftp.code).not.toBe(0);
      for (const file of [target, `${target}-a`]) {
        if (existsSync(file)) expect(readFileSync(file).toString('latin1')).not.toContain(tree.canary);
      }
    }
    const refusals = (await server.waitForRecords(15)).filter((r) => r.result.kind === 'error');
    expect(refusals.length).toBeGreaterThanOrEqual(8);
    expect(refusals.every((r) => r.result.kind === 'error' && [1, 2].includes(r.result.code ?? -1))).toBe(
      true,
    );
    expect(await server.fds()).toBe(fdsBefore);
    // Everything on the segment so far, captured on the bridge: no datagram carried the canary.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(readFileSync(pcap()).toString('latin1')).not.toContain(tree.canary);
    expect(readFileSync(pcap()).length).toBeGreaterThan(KERNEL.length);
  });

  it('stops cleanly, every transfer socket closed', async () => {
    const fds = await server.fds();
    expect(await server.stop()).toBeLessThan(fds);
  });
});
