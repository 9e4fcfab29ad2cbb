import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { spawnCli, waitForExit, waitForLogLine } from '../support/cli.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'fleetboot-serve-'));
// Port 0: the kernel picks a free port, which serve logs; tests never collide with each other or anything else.
const LOOPBACK_ANY_PORT = { FLEETBOOT_HTTP__LISTEN: '127.0.0.1:0', FLEETBOOT_TFTP__LISTEN: '127.0.0.1:0' };

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function serve(cwd: string, env: NodeJS.ProcessEnv = LOOPBACK_ANY_PORT): ChildProcess {
  const child = spawnCli(['serve'], { cwd, env });
  started.push(child);
  return child;
}

describe('fleetboot serve', () => {
  it('starts on its defaults with no config file, answers /healthz, and exits 0 on SIGTERM', async () => {
    const dir = scratch();
    const child = serve(dir);
    const up = await waitForLogLine(child, (l) => l.msg === 'fleetboot up', 20_000);
    const res = await fetch(`http://${String(up.http)}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ok',
      components: {
        'store-watch': 'up',
        http: 'up',
        'mark-sweeper': 'up',
        capture: 'up',
        tftp: 'up',
        store: 'up',
      },
    });

    const stopped = waitForLogLine(child, (l) => l.msg === 'stopped', 10_000);
    child.kill('SIGTERM');
    await stopped;
    expect(await waitForExit(child, 10_000)).toEqual({ code: 0, signal: null });

    // catalogue S14: the data directory and the database are not readable by other users.
    expect(statSync(path.join(dir, 'data')).mode & 0o777).toBe(0o750);
    expect(statSync(path.join(dir, 'data', 'fleetboot.db')).mode & 0o777).toBe(0o600);
  });

  it('starts on its defaults without a warning, also with the API client variables set', async () => {
    // FLEETBOOT_URL and FLEETBOOT_TOKEN are the CLI's (src/cli/client/settings.ts), not settings: an operator who
    // exports them for `fleetboot status` must still be able to start serve in that shell.
    const child = serve(scratch(), {
      ...LOOPBACK_ANY_PORT,
      FLEETBOOT_URL: 'http://127.0.0.1:8080',
      FLEETBOOT_TOKEN: `fbt_${'A'.repeat(43)}`,
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    await waitForLogLine(child, (l) => l.msg === 'fleetboot up', 20_000);
    child.kill('SIGTERM');
    expect((await waitForExit(child, 10_000)).code).toBe(0);
    const lines = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    // pino levels: 40 warn, 50 error, 60 fatal.
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
  });

  it('logs that DHCP is off on the defaults (no interface named)', async () => {
    const child = serve(scratch());
    let dhcp: Record<string, unknown> | undefined;
    // SIGTERM only once it is up: before that, serve has no signal handler yet and dies of the signal.
    await waitForLogLine(
      child,
      (l) => {
        if (l.subsystem === 'dhcp') dhcp ??= l;
        return l.msg === 'fleetboot up';
      },
      20_000,
    );
    expect(dhcp?.msg).toMatch(/DHCP off/);
    child.kill('SIGTERM');
    expect((await waitForExit(child, 10_000)).code).toBe(0);
  });

  it('exits 3 on an invalid configuration, printing file:line:column', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'fleetboot.yaml'), 'http:\n  listen: "not an address"\n');
    // No listen override here: the environment would replace the file's bad value.
    const child = serve(dir, {});
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    expect((await waitForExit(child, 20_000)).code).toBe(3);
    expect(stderr).toMatch(/fleetboot\.yaml:2:\d+: http\.listen/);
  });

  it('exits 1 when its HTTP port is taken and stays taken', async () => {
    const dir = scratch();
    const first = serve(dir);
    const up = await waitForLogLine(first, (l) => l.msg === 'fleetboot up', 20_000);
    const second = serve(scratch(), { ...LOOPBACK_ANY_PORT, FLEETBOOT_HTTP__LISTEN: String(up.http) });
    let stderr = '';
    second.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    // Five attempts with backoff 1+2+4+8 s: about 15 s before it gives up.
    expect((await waitForExit(second, 40_000)).code).toBe(1);
    expect(stderr).toMatch(/http could not start: .*EADDRINUSE/);
    first.kill('SIGTERM');
    expect((await waitForExit(first, 10_000)).code).toBe(0);
  }, 60_000);
});
