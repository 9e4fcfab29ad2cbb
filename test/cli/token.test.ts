// `fleetboot token create|list|revoke` against the store a running `serve` uses: the token it prints works on
// /api/v1 at once, stops working once revoked, and appears nowhere else (catalogue S06).
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runInProcess, spawnCli, waitForExit, waitForLogLine } from '../support/cli.js';

const LOOPBACK_ANY_PORT = { FLEETBOOT_HTTP__LISTEN: '127.0.0.1:0', FLEETBOOT_TFTP__LISTEN: '127.0.0.1:0' };

const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('fleetboot token', () => {
  it('creates a token that works on the API at once, lists it without the secret, and revokes it', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'fleetboot-token-'));
    const created = await runInProcess(
      ['token', 'create', '--name', 'ops', '--role', 'operator', '--actor', 'alice'],
      {
        cwd,
      },
    );
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^fbt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown this once');

    const taken = await runInProcess(['token', 'create', '--name', 'ops', '--role', 'viewer'], { cwd });
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('exists already');
    expect((await runInProcess(['token', 'create', '--name', 'x', '--role', 'root'], { cwd })).code).toBe(2);

    const child = spawnCli(['serve'], { cwd, env: LOOPBACK_ANY_PORT });
    started.push(child);
    let serverLog = '';
    child.stderr?.on('data', (c: Buffer) => (serverLog += c.toString()));
    const up = await waitForLogLine(child, (l) => l.msg === 'fleetboot up', 20_000);
    const url = `http://${String(up.http)}/api/v1/machines`;
    const headers = { authorization: `Bearer ${token}` };
    expect((await fetch(url, { headers })).status).toBe(200);

    const listed = await runInProcess(['token', 'list'], { cwd });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(
      /^NAME\s+ROLE\s+CREATED\s+BY\s+REVOKED\nops\s+operator\s+\S+\s+alice\s+-\n$/,
    );
    const json = await runInProcess(['token', 'list', '--output', 'json'], { cwd });
    expect(JSON.parse(json.stdout)).toMatchObject([{ name: 'ops', role: 'operator', revokedAt: null }]);

    const revoked = await runInProcess(['token', 'revoke', 'ops', '--actor', 'alice'], { cwd });
    expect(revoked.code, revoked.stderr).toBe(0);
    const refused = await fetch(url, { headers });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'FLEETBOOT_UNAUTHENTICATED',
    );
    expect((await runInProcess(['token', 'revoke', 'nobody'], { cwd })).code).toBe(2);

    const audit = await fetch(`http://${String(up.http)}/api/v1/audit?actor=alice`, { headers });
    expect(audit.status).toBe(401);

    child.kill('SIGTERM');
    expect((await waitForExit(child, 10_000)).code).toBe(0);
    for (const output of [serverLog, listed.stdout, json.stdout, revoked.stdout])
      expect(output).not.toContain(token);
  });
});
