import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeclaredMachine } from '../../src/config/types.js';
import type { Machine } from '../../src/inventory/machine.js';
import type { Profile, Rule } from '../../src/inventory/profile.js';
import { hashInstallToken, isInstallTokenShape } from '../../src/provision/install-token.js';
import { Lifecycle, LifecycleRefusedError } from '../../src/provision/lifecycle.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { parseHostname } from '../../src/values/hostname.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { FakeClock } from '../support/fake-clock.js';
import { mac, uuid } from '../store/fixtures.js';

// The lifecycle over a real SQLite store and the fake clock (issue 5 item 4; catalogue S04, S07, S08, H10).

const HOUR = 3_600_000;
const SECRET = new Uint8Array(32).fill(7);
const profiles: Profile[] = [
  { name: 'debian12', os: 'debian-12-amd64', template: 'debian-preseed', kernelArgs: '', variables: {} },
  { name: 'web', os: 'debian-12-amd64', template: 'debian-preseed', kernelArgs: '', variables: {} },
];
const rules: Rule[] = [
  { name: 'rack', selector: { labels: { rack: 'r1' } }, profile: 'web', unmarked: 'local' },
];

let root: string;
let clock: FakeClock;
let store: Store;
let lifecycle: Lifecycle;
const stores: Store[] = [];

async function open(): Promise<Store> {
  const opened = await openStore('sqlite', { dataDir: path.join(root, 'data'), now: () => clock.now() });
  stores.push(opened);
  return opened;
}

function over(target: Store): Lifecycle {
  return new Lifecycle({
    store: target,
    secret: SECRET,
    now: () => clock.now(),
    markTtlMs: 4 * HOUR,
    profiles,
    rules,
  });
}

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'fleetboot-lifecycle-'));
  clock = new FakeClock(Date.UTC(2026, 10, 27, 12));
  store = await open();
  await store.migrate();
  lifecycle = over(store);
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  rmSync(root, { recursive: true, force: true });
});

async function discovered(i = 1): Promise<Machine> {
  return (await store.inventory.recordContact({ mac: mac(i), uuid: uuid(i), arch: 7 })).machine;
}

async function ready(i = 1): Promise<Machine> {
  return lifecycle.assign((await discovered(i)).id, 'debian12', 'alice@admin');
}

async function refusal(promise: Promise<unknown>): Promise<LifecycleRefusedError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof LifecycleRefusedError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

const actions = async () => (await store.audit.list()).map((a) => `${a.action} ${a.outcome}`);
const kinds = async (m: Machine) => (await store.events.list({ machineId: m.id })).map((e) => e.kind);

describe('Lifecycle', () => {
  it('mark → answer fetched (twice) → done: the fetch keeps the mark, done consumes it once', async () => {
    const machine = await ready();
    const { machine: queued, token } = await lifecycle.markInstall(machine.id, {
      actor: 'alice@admin',
      address: '192.0.2.50',
    });
    expect(isInstallTokenShape(token)).toBe(true);
    expect(queued.state).toBe('queued');
    expect(queued.installMark).toEqual({
      by: 'alice@admin',
      from: 'ready',
      at: clock.now(),
      expiresAt: clock.now() + 4 * HOUR,
      tokenHash: hashInstallToken(token),
    });

    expect((await lifecycle.byToken(token))?.id).toBe(machine.id);
    const installing = await lifecycle.answerServed(queued, {
      address: '192.0.2.10',
      file: 'preseed.cfg',
      token,
    });
    expect(installing.state).toBe('installing');
    await lifecycle.answerServed(installing, { address: '192.0.2.10', file: 'preseed.cfg', token });
    expect((await lifecycle.byToken(token))?.state).toBe('installing');
    await lifecycle.progress(token, { address: '192.0.2.10', details: { step: 'partman' } });

    const installed = await lifecycle.installDone(token, { address: '192.0.2.10' });
    expect(installed).toMatchObject({ state: 'installed', installMark: null });
    expect(await lifecycle.byToken(token)).toBeUndefined();
    // H10: a replayed done is refused, and changes nothing.
    for (let i = 0; i < 5; i++) {
      expect((await refusal(lifecycle.installDone(token, { address: '192.0.2.10' }))).reason).toBe(
        'unknown-token',
      );
    }
    expect((await store.inventory.get(machine.id))?.version).toBe(installed.version);

    expect(await kinds(machine)).toEqual([
      'profile assigned',
      'install marked',
      'answer-file served',
      'answer-file served',
      'install progress',
      'install done',
    ]);
    expect(await actions()).toEqual([
      'machine.assign ok',
      'machine.mark ok',
      'answer-file.fetch ok',
      'answer-file.fetch ok',
      'install.progress ok',
      'install.done ok',
      ...Array<string>(5).fill('install.done denied'),
    ]);
    const audit = await store.audit.list();
    expect(audit[1]).toMatchObject({ actor: 'alice@admin', target: machine.id, remoteAddress: '192.0.2.50' });
    expect(audit[5]).toMatchObject({ actor: 'installer', remoteAddress: '192.0.2.10' });
    // The token itself is in no event, audit entry or stored machine (only its hash, in the mark).
    const everything = JSON.stringify([audit, await store.events.list(), await store.inventory.list()]);
    expect(everything).not.toContain(token);
  });

  it('turns an expired mark into failed (timeout), and refuses its token from then on', async () => {
    const machine = await ready();
    const { token } = await lifecycle.markInstall(machine.id, { actor: 'alice@admin', ttlMs: HOUR });
    await clock.advance(HOUR - 1);
    expect(await lifecycle.expireMarks()).toEqual([]);
    expect(await lifecycle.byToken(token)).toBeDefined();
    await clock.advance(1);
    expect(await lifecycle.byToken(token)).toBeUndefined();
    expect((await refusal(lifecycle.installDone(token, { address: '192.0.2.10' }))).reason).toBe('expired');
    const [failed, ...rest] = await lifecycle.expireMarks();
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({ id: machine.id, state: 'failed', installMark: null });
    expect(await lifecycle.expireMarks()).toEqual([]);
    const events = await store.events.list({ machineId: machine.id });
    expect(events.at(-1)).toMatchObject({
      kind: 'install mark expired',
      details: { from: 'queued', to: 'failed', reason: 'timeout' },
    });
    expect((await refusal(lifecycle.installDone(token, { address: '192.0.2.10' }))).reason).toBe(
      'unknown-token',
    );
  });

  it('lets one of two concurrent done callbacks win, from two callers at once', async () => {
    const machine = await ready();
    const { token } = await lifecycle.markInstall(machine.id, { actor: 'alice@admin' });
    await lifecycle.answerServed(machine, { address: '192.0.2.10', file: 'preseed.cfg', token });
    // Two callers (two HTTP requests, or two servers) racing: each reads `installing`, one write wins, the other
    // re-reads, finds the mark consumed and is refused.
    const other = over(store);
    const results = await Promise.allSettled([
      lifecycle.installDone(token, { address: '192.0.2.10' }),
      other.installDone(token, { address: '192.0.2.10' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [rejected] = results.filter((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(LifecycleRefusedError);
    expect((await actions()).filter((a) => a.startsWith('install.done'))).toEqual([
      'install.done ok',
      'install.done denied',
    ]);
    expect((await kinds(machine)).filter((k) => k === 'install done')).toHaveLength(1);
  });

  it('gives one mark to two concurrent mark calls (S07 4)', async () => {
    const machine = await ready();
    const other = over(store);
    const results = await Promise.allSettled([
      lifecycle.markInstall(machine.id, { actor: 'alice@admin' }),
      other.markInstall(machine.id, { actor: 'bob@admin' }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await kinds(machine)).filter((k) => k === 'install marked')).toHaveLength(1);
  });

  it('cancels a mark: queued → ready, its token dead; installing → failed', async () => {
    const machine = await ready();
    const { token } = await lifecycle.markInstall(machine.id, { actor: 'alice@admin' });
    expect(await lifecycle.cancel(machine.id, 'bob@admin')).toMatchObject({
      state: 'ready',
      installMark: null,
    });
    expect(await lifecycle.byToken(token)).toBeUndefined();
    expect((await refusal(lifecycle.cancel(machine.id, 'bob@admin'))).reason).toBe('wrong-state');

    // Re-marked in the same millisecond as the cancel: still a new token.
    const again = await lifecycle.markInstall(machine.id, { actor: 'alice@admin' });
    expect(again.token).not.toBe(token);
    expect(await lifecycle.byToken(token)).toBeUndefined();
    await lifecycle.answerServed(again.machine, {
      address: '192.0.2.10',
      file: 'preseed.cfg',
      token: again.token,
    });
    expect(await lifecycle.cancel(machine.id, 'bob@admin')).toMatchObject({ state: 'failed' });
    expect((await actions()).slice(-4)).toEqual([
      'machine.cancel denied',
      'machine.mark ok',
      'answer-file.fetch ok',
      'machine.cancel ok',
    ]);
  });

  it('refuses an answer fetch whose token belongs to a mark canceled and replaced since the lookup (S07)', async () => {
    const machine = await ready();
    const { token } = await lifecycle.markInstall(machine.id, { actor: 'alice@admin' });
    const found = await lifecycle.byToken(token);
    if (found === undefined) throw new Error('the fresh token finds no machine');
    // Between the route's byToken and its answerServed: canceled and marked again.
    await lifecycle.cancel(machine.id, 'bob@admin');
    const again = await lifecycle.markInstall(machine.id, { actor: 'alice@admin' });
    const stale = lifecycle.answerServed(found, { address: '192.0.2.10', file: 'preseed.cfg', token });
    expect((await refusal(stale)).reason).toBe('stale-token');
    expect((await store.inventory.get(machine.id))?.state).toBe('queued');
    expect((await actions()).at(-1)).toBe('answer-file.fetch denied');
    const served = await lifecycle.answerServed(found, {
      address: '192.0.2.10',
      file: 'preseed.cfg',
      token: again.token,
    });
    expect(served.state).toBe('installing');
  });

  it('needs a profile to mark, and an explicit reinstall for an installed machine', async () => {
    const fresh = await discovered(1);
    expect((await refusal(lifecycle.markInstall(fresh.id, { actor: 'a' }))).reason).toBe('no-profile');
    expect((await refusal(lifecycle.assign(fresh.id, 'nope', 'a'))).reason).toBe('unknown-profile');

    const machine = await ready(2);
    const { token } = await lifecycle.markInstall(machine.id, { actor: 'a' });
    await lifecycle.answerServed(machine, { address: '192.0.2.10', file: 'preseed.cfg', token });
    await lifecycle.installDone(token, { address: '192.0.2.10' });
    expect((await refusal(lifecycle.markInstall(machine.id, { actor: 'a' }))).reason).toBe('wrong-state');
    const again = await lifecycle.markInstall(machine.id, { actor: 'a', reinstall: true });
    expect(again.machine.state).toBe('queued');
    expect((await store.audit.list()).at(-1)).toMatchObject({ action: 'machine.reinstall', outcome: 'ok' });
  });

  it('marks a failed machine whose profile comes from a rule', async () => {
    const machine = await discovered(3);
    await store.inventory.setLabels(machine.id, { rack: 'r1' });
    const failed = await store.inventory.update(machine.id, { state: 'failed' }, { state: 'discovered' });
    const { machine: queued } = await lifecycle.markInstall(failed.id, { actor: 'a' });
    expect(queued.state).toBe('queued');
    expect((await store.events.list({ machineId: machine.id })).at(-1)?.details).toMatchObject({
      profile: 'web',
    });
  });

  it('records a failure callback with its reason on one line, capped', async () => {
    const machine = await ready();
    const { token } = await lifecycle.markInstall(machine.id, { actor: 'a' });
    const reason = `disk\nd-i preseed/late_command string id ${'x'.repeat(10_000)}`;
    expect(await lifecycle.installFailed(token, { address: '192.0.2.10', reason })).toMatchObject({
      state: 'failed',
    });
    const event = (await store.events.list({ machineId: machine.id })).at(-1);
    const stored = event?.details.reason;
    if (typeof stored !== 'string') throw new Error('the event has no reason');
    expect(stored).toMatch(/^disk d-i preseed/);
    expect(stored.length).toBe(500);
  });

  it('forgets an unmarked machine, refuses a marked one, and audits an unknown id', async () => {
    const machine = await ready();
    await lifecycle.markInstall(machine.id, { actor: 'a' });
    expect((await refusal(lifecycle.forget(machine.id, 'a'))).reason).toBe('wrong-state');
    await lifecycle.cancel(machine.id, 'a');
    expect(await lifecycle.forget(machine.id, 'a')).toBe(true);
    expect(await store.inventory.get(machine.id)).toBeUndefined();
    expect((await refusal(lifecycle.forget(machine.id, 'a'))).reason).toBe('not-found');
    expect((await actions()).slice(-3)).toEqual([
      'machine.cancel ok',
      'machine.forget ok',
      'machine.lookup denied',
    ]);
  });
});

describe('Lifecycle.syncDeclaredMachines', () => {
  const declared: DeclaredMachine = {
    macs: [mac(10), mac(11)],
    uuid: uuid(10),
    hostname: parseHostname('node10'),
    labels: { rack: 'r12' },
    profile: 'debian12',
    reservedIp: parseIpv4('192.0.2.110'),
  };

  it('creates declared machines as ready, and a second start changes nothing', async () => {
    expect(await lifecycle.syncDeclaredMachines([declared])).toEqual({
      created: 1,
      updated: 0,
      unchanged: 0,
      problems: [],
    });
    const machine = await store.inventory.getByMac(mac(11));
    expect(machine).toMatchObject({
      macs: [mac(10), mac(11)],
      uuid: uuid(10),
      hostname: 'node10',
      labels: { rack: 'r12' },
      profile: 'debian12',
      reservedIp: '192.0.2.110',
      state: 'ready',
    });
    expect(await lifecycle.syncDeclaredMachines([declared])).toEqual({
      created: 0,
      updated: 0,
      unchanged: 1,
      problems: [],
    });
  });

  it('updates a machine first seen over DHCP, keeps its other labels, and never moves it back', async () => {
    const seen = await discovered(10);
    await store.inventory.setLabels(seen.id, { site: 'ber' });
    const installed = await store.inventory.update(seen.id, { state: 'installed' }, { state: 'discovered' });
    const report = await lifecycle.syncDeclaredMachines([declared]);
    expect(report).toEqual({ created: 0, updated: 1, unchanged: 0, problems: [] });
    expect(await store.inventory.get(installed.id)).toMatchObject({
      state: 'installed',
      profile: 'debian12',
      labels: { rack: 'r12', site: 'ber' },
    });
  });

  it('reports, and skips, a declaration whose MACs belong to two machines', async () => {
    await discovered(10);
    await discovered(11);
    const report = await lifecycle.syncDeclaredMachines([declared, { macs: [mac(20)], labels: {} }]);
    expect(report.created).toBe(1);
    expect(report.problems).toEqual([
      expect.stringMatching(/^machine node10: its MACs belong to 2 machines/),
    ]);
  });

  it('leaves the profile of a marked machine alone and says so', async () => {
    const machine = await ready(10);
    await lifecycle.markInstall(machine.id, { actor: 'a' });
    const report = await lifecycle.syncDeclaredMachines([{ ...declared, profile: 'web' }]);
    expect(report.problems).toEqual([
      'machine node10: is queued: its profile stays debian12 until the install ends',
    ]);
    expect((await store.inventory.get(machine.id))?.profile).toBe('debian12');
  });
});
