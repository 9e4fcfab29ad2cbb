import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from '../../src/store/open.js';
import type { LabProcess } from '../../src/lab/index.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { CLI_MAIN, TSX_LOADER } from '../support/cli.js';
import { describeLab, useLab } from '../support/lab.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// fleetboot serve, as an operator runs it, in full DHCP mode on one lab segment; real clients on the segment.
describeLab('fleetboot serve with dhcp.mode full and TFTP, against dhclient, udhcpc and tftp-hpa', () => {
  const lab = useLab('dhcpserve');
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-dhcp-'));
  const configFile = path.join(dir, 'fleetboot.yaml');

  it('leases distinct addresses from the pool, re-binds the same one, and records the timeline', async () => {
    const sw = await lab().addSwitch();
    const server = await lab().addHost('server', { switch: sw, address: '198.18.0.1/24' });
    const first = await lab().addHost('dhclient', { switch: sw, mac: '52:54:00:fb:00:01' });
    const second = await lab().addHost('udhcpc', { switch: sw, mac: '52:54:00:fb:00:02' });
    const tftpRoot = path.join(dir, 'tftp');
    const loader = randomBytes(300_000);
    mkdirSync(tftpRoot, { mode: 0o755 });
    writeFileSync(path.join(tftpRoot, 'undionly.kpxe'), loader, { mode: 0o644 });
    writeFileSync(
      configFile,
      [
        `dataDir: ${path.join(dir, 'data')}`,
        'http: {listen: "198.18.0.1:0"}',
        `tftp: {listen: "198.18.0.1:69", roots: [${tftpRoot}]}`,
        'dhcp:',
        '  mode: full',
        `  interfaces: [${server.interfaces[0]!.name}]`,
        '  subnets:',
        '    - subnet: 198.18.0.0/24',
        '      pools: [{start: 198.18.0.100, end: 198.18.0.199}]',
        '      router: 198.18.0.1',
        '      dns: [198.18.0.1]',
        '      leaseTime: 600',
        '',
      ].join('\n'),
    );
    const fleetboot: LabProcess = server.run(process.execPath, [
      '--import',
      TSX_LOADER,
      CLI_MAIN,
      'serve',
      '-c',
      configFile,
    ]);
    await fleetboot.waitForLine(/"msg":"fleetboot up"/, { timeoutMs: 30_000, stream: 'stderr' });

    // dhclient: full DORA. -sf /bin/true: its script would rewrite the host's /etc/resolv.conf (shared filesystem).
    const leases = path.join(dir, 'dhclient.leases');
    const dhclientArgs = [
      '-1',
      '-v',
      '-sf',
      '/bin/true',
      '-lf',
      leases,
      '-pf',
      path.join(dir, 'dhclient.pid'),
    ];
    const iface = first.interfaces[0]!.name;
    const bound = await first.exec('dhclient', [...dhclientArgs, iface], { timeoutMs: 30_000 });
    const address = /bound to (198\.18\.0\.\d+)/.exec(bound.stderr)?.[1];
    expect(address, bound.stderr).toBeDefined();
    const host = Number(address!.split('.')[3]);
    expect(host).toBeGreaterThanOrEqual(100);
    expect(host).toBeLessThanOrEqual(199);

    // udhcpc on another host of the segment gets another address.
    const other = await second.exec(
      'udhcpc',
      ['-i', second.interfaces[0]!.name, '-n', '-q', '-f', '-t', '5', '-T', '2', '-s', '/bin/true'],
      {
        timeoutMs: 30_000,
      },
    );
    const otherAddress = /lease of (198\.18\.0\.\d+) obtained/.exec(other.stderr + other.stdout)?.[1];
    expect(otherAddress, other.stderr + other.stdout).toBeDefined();
    expect(otherAddress).not.toBe(address);

    // dhclient again with its lease file: INIT-REBOOT (REQUEST for the cached address) → the same address.
    await first.exec('dhclient', ['-x', '-pf', path.join(dir, 'dhclient.pid')], { timeoutMs: 10_000 });
    const rebound = await first.exec('dhclient', [...dhclientArgs, iface], { timeoutMs: 30_000 });
    expect(rebound.stderr).toContain(`bound to ${address!}`);
    // RELEASE is a unicast from the leased address (RFC 2131 §4.4.6): configure it as dhclient-script would.
    expect((await first.exec('ip', ['addr', 'add', `${address!}/24`, 'dev', iface])).code).toBe(0);
    // With its address, the client fetches its loader over TFTP, as a PXE ROM does next.
    const fetched = path.join(dir, 'fetched.kpxe');
    const tftp = await first.exec(
      'tftp',
      ['-m', 'binary', '198.18.0.1', '-c', 'get', 'undionly.kpxe', fetched],
      {
        timeoutMs: 30_000,
      },
    );
    expect(tftp.code, tftp.stderr + tftp.stdout).toBe(0);
    expect(sha256(readFileSync(fetched))).toBe(sha256(loader));
    const released = await first.exec(
      'dhclient',
      ['-r', '-sf', '/bin/true', '-lf', leases, '-pf', path.join(dir, 'dhclient.pid'), iface],
      {
        timeoutMs: 10_000,
      },
    );

    expect(released.code, released.stderr).toBe(0);
    await fleetboot.stop(10_000);

    // The timeline of the dhclient machine, as the store has it after a clean stop.
    const store = await openStore(
      { dialect: 'sqlite', file: path.join(dir, 'data', 'fleetboot.db') },
      { dataDir: dir },
    );
    try {
      const machine = await store.inventory.getByMac(parseMac('52:54:00:fb:00:01'));
      expect(machine?.state).toBe('discovered');
      const events = await store.events.list({ mac: parseMac('52:54:00:fb:00:01'), limit: 100 });
      const kinds = events.map((e) => e.kind);
      const transfer = events.find((e) => e.kind === 'TFTP RRQ');
      expect(transfer?.details).toMatchObject({ file: 'undionly.kpxe', result: 'ok', bytes: loader.length });
      for (const kind of ['DHCPDISCOVER', 'DHCPOFFER', 'DHCPREQUEST', 'DHCPACK', 'DHCPRELEASE']) {
        expect(kinds).toContain(kind);
      }
      const leaseOfOther = await store.leases.findByAddress(parseIpv4(otherAddress!));
      expect(leaseOfOther?.mac).toBe('52:54:00:fb:00:02');
    } finally {
      await store.close();
    }
  }, 180_000);
});
