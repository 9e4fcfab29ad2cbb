import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { describeValue } from '../../src/config/schema-walk.js';
import { runInProcess } from '../support/cli.js';
import { loadError, loadText, scratchDir } from './support.js';

// Catalogue I7 and S06: a canary password written anywhere in the configuration never comes back out, neither in
// a diagnostic (stderr, so journald) nor in what `config check` prints, nor in the fields of the error a logger
// would serialize.

const CANARY = 'c4nary-H7q2';
const dir = scratchDir();

/** Everything of a ConfigError that can reach a terminal or a log. */
function everythingOf(load: () => unknown): string {
  const error = loadError(load);
  return [error.message, error.toString(), JSON.stringify(error.diagnostics)].join('\n');
}

describe('a canary password in the store URL', () => {
  it.each([
    [`postgres://fb:${CANARY}@/fleet`, 'postgres://fb:***@/fleet'],
    [`mysql://user:${CANARY}@db.example/fleet`, 'mysql://user:***@db.example/fleet'],
    [`postgres:///fleet?password=${CANARY}`, 'postgres:///fleet?password=***'],
  ])('is masked when %s is refused in the file', (store, shown) => {
    const text = everythingOf(() => loadText(dir, `store: "${store}"\n`));
    expect(text).not.toContain(CANARY);
    expect(text).toContain(`store: expected`);
    expect(text).toContain(`got ${JSON.stringify(shown)}`);
  });

  it('is masked when it is refused in the environment', () => {
    const env = { FLEETBOOT_STORE: `postgres://fb:${CANARY}@/fleet` };
    const text = everythingOf(() => loadConfig({ cwd: dir, env }));
    expect(text).not.toContain(CANARY);
    expect(text).toContain('env FLEETBOOT_STORE: store: expected');
    expect(text).toContain('"postgres://fb:***@/fleet"');
  });

  it('is masked in a YAML syntax error that quotes the line', () => {
    const text = everythingOf(() => loadText(dir, `- x\nstore: postgres://fb:${CANARY}@db/fleet\n`));
    expect(text).toContain('YAML:');
    expect(text).not.toContain(CANARY);
  });

  it('is masked when the same URL is written where a plain value is expected', () => {
    const text = everythingOf(() => loadText(dir, `http:\n  listen: "postgres://fb:${CANARY}@db/fleet"\n`));
    expect(text).toContain('http.listen: expected host:port');
    expect(text).not.toContain(CANARY);
  });

  it('is not printed by `config check` for a valid store, in the file or the environment', async () => {
    writeFileSync(path.join(dir, 'fleetboot.yaml'), `store: postgres://fb:${CANARY}@db.example/fleet\n`);
    const fromFile = await runInProcess(['-c', 'fleetboot.yaml', 'config', 'check'], { cwd: dir });
    const fromEnv = await runInProcess(['config', 'check'], {
      cwd: dir,
      env: { FLEETBOOT_STORE: `postgresql://fb:${CANARY}@db.example:5433/fleet` },
    });
    for (const { code, stdout, stderr } of [fromFile, fromEnv]) {
      expect(code).toBe(0);
      expect(stdout).toMatch(/store +postgresql\n/);
      expect(stdout + stderr).not.toContain(CANARY);
    }
  });

  it('is masked by `config check` when the store is refused', async () => {
    const { code, stdout, stderr } = await runInProcess(['config', 'check'], {
      cwd: dir,
      env: { FLEETBOOT_STORE: `mysql://user:${CANARY}@db.example/fleet` },
    });
    expect(code).toBe(3);
    expect(stderr).toContain('mysql://user:***@db.example/fleet');
    expect(stdout + stderr).not.toContain(CANARY);
  });
});

describe('a canary password in http.publicUrl', () => {
  it('is refused and masked, in the file and in the environment', () => {
    const url = `http://admin:${CANARY}@192.0.2.1:8080`;
    const fromFile = everythingOf(() => loadText(dir, `http:\n  publicUrl: ${url}\n`));
    const fromEnv = everythingOf(() => loadConfig({ cwd: dir, env: { FLEETBOOT_HTTP__PUBLIC_URL: url } }));
    for (const text of [fromFile, fromEnv]) {
      expect(text).toContain('http.publicUrl: expected a URL without a user name or password');
      expect(text).toContain('"http://admin:***@192.0.2.1:8080"');
      expect(text).not.toContain(CANARY);
    }
  });
});

describe('values of keys that look secret', () => {
  it.each([
    [['api', 'token'], CANARY],
    [['password'], CANARY],
    [['auth', 'keys', 0], CANARY],
    [['db', 'secret'], 1234],
  ])('at %j are never shown', (at, value) => {
    expect(describeValue(value, at)).toBe('"***"');
  });

  it('elsewhere are shown, quoted, with any URL password masked', () => {
    expect(describeValue('big', ['tftp', 'blocksize'])).toBe('"big"');
    expect(describeValue(`http://a:${CANARY}@h`, ['http', 'publicUrl'])).toBe('"http://a:***@h"');
    expect(describeValue(7, ['tftp', 'blocksize'])).toBe('7');
  });
});
