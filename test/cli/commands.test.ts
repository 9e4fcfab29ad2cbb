import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfigPath } from '../../src/cli/config-path.js';
import { runInProcess } from '../support/cli.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'fleetboot-cli-'));

describe('fleetboot version', () => {
  it('prints the version from package.json and exits 0', async () => {
    const { code, stdout } = await runInProcess(['version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^fleetboot \d+\.\d+\.\d+ \(node v\d+/);
  });
});

describe('usage errors', () => {
  it('exits 2 on an unknown command or option, and says how to get help', async () => {
    const unknown = await runInProcess(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(unknown.stderr).toMatch(/--help/);
    expect((await runInProcess(['serve', '--no-such-flag'])).code).toBe(2);
  });

  it('--help exits 0 and lists the exit codes', async () => {
    const { code, stdout } = await runInProcess(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/serve/);
    expect(stdout).toMatch(/3 {2}invalid configuration/);
  });
});

describe('fleetboot config check', () => {
  it('accepts no file at all (embedded defaults) and reports that DHCP is off', async () => {
    const dir = scratch();
    const { code, stdout } = await runInProcess(['config', 'check'], { cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toContain('(no file: embedded defaults): OK');
    expect(stdout).toMatch(/dhcp +off/);
    expect(stdout).toContain(path.join(dir, 'data'));
  });

  it('fails with exit 3 and file:line:column for the typo of the issue', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'fleetboot.yaml'), 'log:\n  level: info\ntftp: {blocksize: "big"}\n');
    const { code, stderr } = await runInProcess(['config', 'check'], { cwd: dir });
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /fleetboot\.yaml:3:19: tftp\.blocksize: expected an integer from 512 to 65464, got "big"/,
    );
    expect(stderr).toMatch(/hint:/);
  });

  it('names the environment variable when an override is wrong', async () => {
    const { code, stderr } = await runInProcess(['config', 'check'], {
      cwd: scratch(),
      env: { FLEETBOOT_TFTP__BLOCKSIZE: 'big' },
    });
    expect(code).toBe(3);
    expect(stderr).toContain('FLEETBOOT_TFTP__BLOCKSIZE');
  });

  it('refuses a --config path that does not exist rather than falling back to defaults', async () => {
    const { code, stderr } = await runInProcess(['-c', 'nope.yaml', 'config', 'check'], { cwd: scratch() });
    expect(code).toBe(3);
    expect(stderr).toMatch(/nope\.yaml: no such configuration file/);
  });

  it('refuses DHCP without a named interface', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'fleetboot.yaml'), 'dhcp:\n  mode: proxy\n');
    const { code, stderr } = await runInProcess(['config', 'check'], { cwd: dir });
    expect(code).toBe(3);
    expect(stderr).toMatch(/fleetboot\.yaml:\d+:\d+: dhcp/);
  });
});

describe('fleetboot config schema', () => {
  it('prints a JSON Schema that describes every top-level section', async () => {
    const { code, stdout } = await runInProcess(['config', 'schema']);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual([
      'cache',
      'dataDir',
      'dhcp',
      'http',
      'install',
      'log',
      'machines',
      'profiles',
      'rules',
      'store',
      'tftp',
    ]);
  });
});

describe('fleetboot db migrate', () => {
  it('applies the migrations once, then reports the store up to date', async () => {
    const dir = scratch();
    const first = await runInProcess(['db', 'migrate'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^applied \d+ migration\(s\): /);
    const second = await runInProcess(['db', 'migrate'], { cwd: dir });
    expect(second).toMatchObject({ code: 0, stdout: 'store is up to date\n' });
  });

  it('exits 4 when the database cannot be reached', async () => {
    const { code, stderr } = await runInProcess(['db', 'migrate'], {
      cwd: scratch(),
      // Port 1 on loopback: nothing listens there, so the connection is refused at once.
      env: {
        FLEETBOOT_STORE: 'postgres://fleetboot:secret-canary@127.0.0.1:1/fleetboot',
        FLEETBOOT_LOG__LEVEL: 'silent',
      },
    });
    expect(code).toBe(4);
    expect(stderr).toMatch(/store migration failed/);
    expect(stderr).not.toContain('secret-canary');
  });
});

describe('resolveConfigPath', () => {
  const none = () => false;
  it.each([
    { flag: 'a.yaml', env: {}, want: '/w/a.yaml', explicit: true },
    { flag: undefined, env: { FLEETBOOT_CONFIG: '/etc/x.yaml' }, want: '/etc/x.yaml', explicit: true },
    { flag: 'a.yaml', env: { FLEETBOOT_CONFIG: '/etc/x.yaml' }, want: '/w/a.yaml', explicit: true },
    { flag: undefined, env: {}, want: undefined, explicit: false },
  ])('flag $flag, env $env → $want', ({ flag, env, want, explicit }) => {
    expect(resolveConfigPath(flag, env, '/w', none)).toEqual({ path: want, explicit });
  });

  it('finds ./fleetboot.yaml before /etc/fleetboot/fleetboot.yaml', () => {
    const exists = (p: string) => p === '/w/fleetboot.yaml' || p === '/etc/fleetboot/fleetboot.yaml';
    expect(resolveConfigPath(undefined, {}, '/w', exists).path).toBe('/w/fleetboot.yaml');
    expect(resolveConfigPath(undefined, {}, '/v', exists).path).toBe('/etc/fleetboot/fleetboot.yaml');
  });
});
