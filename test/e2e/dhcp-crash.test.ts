import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { Host, LabProcess } from '../../src/lab/index.js';
import { CLI_MAIN, TSX_LOADER } from '../support/cli.js';
import { describeLab, useLab } from '../support/lab.js';

const CLIENTS = fileURLToPath(new URL('./fixtures/dora-clients.ts', import.meta.url));
const macOf = (n: number) =>
  `52:54:00:fc:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}`;

/** Waits, bounded, until `process` has printed `count` lines matching `pattern` on stdout. */
async function waitForCount(
  process: LabProcess,
  pattern: RegExp,
  count: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (process.lines().filter((l) => pattern.test(l)).length < count) {
    if (Date.now() > deadline)
      throw new Error(`fewer than ${count} lines like ${pattern} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function acks(process: LabProcess): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of process.lines()) {
    const m = /^ACK (\S+) (\S+)$/.exec(line);
    if (m) result.set(m[1]!, m[2]!);
  }
  return result;
}

// Catalogue P1 and I2/I3 (issue 3, "Real peers"): kill -9 fleetboot while 200 clients do DORA; after a restart,
// every lease a client saw ACKed is still bound to it, and no address was acknowledged to two clients.
describeLab('kill -9 during a rack power-on loses no acknowledged lease', () => {
  const lab = useLab('dhcpcrash');
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-crash-'));
  const configFile = path.join(dir, 'fleetboot.yaml');

  it('keeps every ACKed lease across kill -9 and restart', async () => {
    const sw = await lab().addSwitch();
    const server = await lab().addHost('server', { switch: sw, address: '198.18.0.1/24' });
    const clientHost: Host = await lab().addHost('rack', { switch: sw });
    writeFileSync(
      configFile,
      [
        `dataDir: ${path.join(dir, 'data')}`,
        'http: {listen: "198.18.0.1:0", publicUrl: "http://198.18.0.1:8080"}',
        'tftp: {enabled: false}',
        'dhcp:',
        '  mode: full',
        `  interfaces: [${server.interfaces[0]!.name}]`,
        '  subnets:',
        '    - subnet: 198.18.0.0/24',
        '      pools: [{start: 198.18.0.10, end: 198.18.0.250}]',
        '      dns: [198.18.0.1]',
        '',
      ].join('\n'),
    );
    const serve = () =>
      server.run(process.execPath, ['--import', TSX_LOADER, CLI_MAIN, 'serve', '-c', configFile]);
    const clients = (mode: 'dora' | 'reboot', list: readonly { mac: string; address?: string }[]) =>
      clientHost.run(process.execPath, [
        '--import',
        TSX_LOADER,
        CLIENTS,
        JSON.stringify({
          interface: clientHost.interfaces[0]!.name,
          mode,
          clients: list,
          concurrency: 32,
          retries: 2,
        }),
      ]);

    const up = /"msg":"fleetboot up"/;
    const first = serve();
    await first.waitForLine(up, { timeoutMs: 30_000, stream: 'stderr' });

    const rack = clients(
      'dora',
      Array.from({ length: 200 }, (_, i) => ({ mac: macOf(i) })),
    );
    await waitForCount(rack, /^ACK /, 40, 60_000);
    first.signal('SIGKILL');
    await first.waitForExit(10_000);
    await rack.waitForLine('DONE', { timeoutMs: 120_000 });

    const acknowledged = acks(rack);
    expect(acknowledged.size).toBeGreaterThanOrEqual(40);
    // I3: no address was acknowledged to two clients.
    expect(new Set(acknowledged.values()).size).toBe(acknowledged.size);

    const second = serve();
    await second.waitForLine(up, { timeoutMs: 30_000, stream: 'stderr' });
    const reboot = clients(
      'reboot',
      [...acknowledged].map(([mac, address]) => ({ mac, address })),
    );
    await reboot.waitForLine('DONE', { timeoutMs: 120_000 });
    // I2: each client that saw an ACK before the crash gets the same address confirmed after it.
    expect(acks(reboot)).toEqual(acknowledged);
    expect(reboot.lines().filter((l) => /^(NAK|GIVEUP) /.test(l))).toEqual([]);
    await second.stop(10_000);
  }, 300_000);
});
