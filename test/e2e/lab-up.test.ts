import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { labVm } from '../../src/cli/lab/lab-config.js';
import { readUpRecord } from '../../src/cli/lab/up-record.js';
import { listNamespaces } from '../../src/lab/index.js';
import { isRunning } from '../../src/lab/proc.js';
import { CLI_MAIN, spawnCli, TSX_LOADER, waitForExit } from '../support/cli.js';
import { describeLab } from '../support/lab.js';

// `fleetboot lab up --vms 1` as a newcomer runs it (a real child process that detaches its lab), then
// `fleetboot lab down`. It does not wait for the install: that is provision-qemu.test.ts.

const execFileP = promisify(execFile);

describeLab('fleetboot lab up / lab down', () => {
  const base = mkdtempSync(path.join(tmpdir(), 'fleetboot-e2e-labup-'));
  const dir = path.join(base, 'lab');
  const stateDir = path.join(base, 'state');

  afterAll(async () => {
    // A failed test must not leave a lab running: lab down finds it by the record, whatever state it is in.
    if (readUpRecord(stateDir) !== undefined) {
      await waitForExit(spawnCli(['lab', 'down', '--state-dir', stateDir], { cwd: base }), 120_000);
    }
    rmSync(base, { recursive: true, force: true });
  });

  const run = async (argv: string[], timeoutMs: number) => {
    const child = spawnCli(argv, { cwd: base });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const { code } = await waitForExit(child, timeoutMs);
    return { code, stdout, stderr };
  };

  it('brings up fleetboot and one VM marked for install, and lab down removes all of it', async () => {
    const up = await run(
      ['lab', 'up', '--vms', '1', '--dir', dir, '--state-dir', stateDir, '--accel', 'tcg'],
      330_000,
    );
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const vm = labVm(1, 'bios');
    const serial = path.join(dir, `serial-${vm.name}.log`);
    expect(up.stdout).toContain('is up');
    expect(up.stdout).toContain(`tail -f ${serial}`);
    expect(up.stdout).toContain(`fleetboot lab down --state-dir ${stateDir}`);

    // The lab outlives the command: its owner runs, its namespaces exist, fleetboot has the VM marked.
    const record = readUpRecord(stateDir);
    expect(record).toBeDefined();
    expect(isRunning(record!.owner)).toBe(true);
    const namespaces = (await listNamespaces()).filter((ns) => ns.startsWith(`${record!.tag}-`));
    expect(namespaces.length).toBeGreaterThanOrEqual(2); // the switch and fleetboot's host
    // The CLI over the API, inside the lab's namespace, as the summary says to run it.
    const cli =
      /ip netns exec (\S+) env FLEETBOOT_URL=(\S+) FLEETBOOT_TOKEN=(\S+) fleetboot machines list/.exec(
        up.stdout,
      );
    expect(cli).not.toBeNull();
    const [, cliNamespace, server, viewerToken] = cli!;
    const list = await execFileP(
      'ip',
      [
        'netns',
        'exec',
        cliNamespace!,
        process.execPath,
        '--import',
        TSX_LOADER,
        CLI_MAIN,
        'machines',
        'list',
      ],
      { env: { ...process.env, FLEETBOOT_URL: server!, FLEETBOOT_TOKEN: viewerToken! } },
    );
    expect(list.stdout).toMatch(new RegExp(`${vm.hostname}.*(queued|installing)`));
    // The API answers inside the lab's namespace with the viewer token the summary printed.
    const api = /ip netns exec (\S+) curl -s -H 'Authorization: Bearer (\S+)' (\S+)\/machines/.exec(
      up.stdout,
    );
    expect(api).not.toBeNull();
    const [, namespace, token, apiBase] = api!;
    const machines = await execFileP('ip', [
      'netns',
      'exec',
      namespace!,
      'curl',
      '-sS',
      '-H',
      `Authorization: Bearer ${token!}`,
      `${apiBase!}/machines`,
    ]);
    expect(machines.stdout).toContain(vm.hostname);
    // The VM runs and PXE-boots from fleetboot: its firmware's iPXE ROM starts on the serial console.
    const deadline = Date.now() + 120_000;
    while (!/iPXE/.test(existsSync(serial) ? readFileSync(serial, 'latin1') : '')) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(500);
    }

    const down = await run(['lab', 'down', '--state-dir', stateDir], 120_000);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`lab ${record!.tag} removed`);
    expect(isRunning(record!.owner)).toBe(false);
    expect((await listNamespaces()).filter((ns) => ns.startsWith(`${record!.tag}-`))).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(readUpRecord(stateDir)).toBeUndefined();

    // Nothing left to remove: a second lab down says so.
    const again = await run(['lab', 'down', '--state-dir', stateDir], 60_000);
    expect(again).toMatchObject({ code: 0, stdout: 'no lab is up\n' });
  }, 600_000);
});
