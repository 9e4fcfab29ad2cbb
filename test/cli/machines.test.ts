import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseTtl } from '../../src/cli/commands/machines.js';
import { parseImportFile } from '../../src/cli/machines/import-file.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { parseMac } from '../../src/values/mac.js';
import { runInProcess } from '../support/cli.js';

// `fleetboot machines …` against a real SQLite store in a scratch directory (issue 5 item 3).

const CONFIG = `dataDir: data
profiles:
  - name: debian12
    os: debian-12-amd64
    template: debian-preseed
  - name: web
    os: debian-12-amd64
    template: debian-preseed
`;

let dir: string;
const env = { USER: 'tester' };
const run = (...argv: string[]) => runInProcess(['machines', ...argv], { cwd: dir, env });

async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore('sqlite', { dataDir: path.join(dir, 'data') });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function write(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}

async function listed(
  ...argv: string[]
): Promise<{ hostname: string; state: string; profile: string | null }[]> {
  const { code, stdout } = await run('list', '--output', 'json', ...argv);
  expect(code).toBe(0);
  return JSON.parse(stdout) as { hostname: string; state: string; profile: string | null }[];
}

const CSV = `mac,hostname,labels,profile
52:54:00:00:00:01,node01,rack=r1;role=web,web
52-54-00-00-00-02,node02,rack=r1,
52:54:00:00:00:03;52:54:00:00:01:03,node03,rack=r2,
`;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-machines-'));
  write('fleetboot.yaml', CONFIG);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('fleetboot machines import', () => {
  it('imports a CSV file, and a second import changes nothing', async () => {
    const first = await run('import', write('m.csv', CSV));
    expect(first).toMatchObject({
      code: 0,
      stdout: 'm.csv: 3 machine(s): 3 created, 0 updated, 0 unchanged\n',
    });
    expect(await listed()).toMatchObject([
      { hostname: 'node01', state: 'ready', profile: 'web', labels: { rack: 'r1', role: 'web' } },
      { hostname: 'node02', state: 'discovered', profile: null, macs: ['52:54:00:00:00:02'] },
      { hostname: 'node03', macs: ['52:54:00:00:00:03', '52:54:00:00:01:03'] },
    ]);
    expect((await run('import', 'm.csv')).stdout).toBe(
      'm.csv: 3 machine(s): 0 created, 0 updated, 3 unchanged\n',
    );
  });

  it('imports nothing when any row is bad, and names every bad row by its line', async () => {
    const bad = `${CSV}not-a-mac,node04,,\n52:54:00:00:00:05,node01,,nope\n52:54:00:00:00:06,bad_name,rack,\n`;
    const { code, stderr } = await run('import', write('bad.csv', bad));
    expect(code).toBe(1);
    expect(stderr).toContain('bad.csv: nothing imported:');
    expect(stderr).toMatch(/bad\.csv:5: mac: invalid MAC/);
    expect(stderr).toContain('bad.csv:6: profile: no profile is named "nope" in the configuration');
    expect(stderr).toContain('bad.csv:6: host name node01 is already on line 2');
    expect(stderr).toMatch(/bad\.csv:7: hostname: invalid host name "bad_name"/);
    expect(stderr).toMatch(/bad\.csv:7: labels: invalid label "rack"/);
    expect(stderr).not.toMatch(/bad\.csv:[234]:/);
    expect(await listed()).toEqual([]);
  });

  it('imports YAML (a list, or machines: like fleetboot.yaml) and reports its lines', async () => {
    const yaml = 'machines:\n  - macs: [52:54:00:00:00:01]\n    hostname: node01\n    labels: {rack: r1}\n';
    expect((await run('import', write('m.yaml', yaml))).code).toBe(0);
    expect(await listed()).toMatchObject([{ hostname: 'node01', labels: { rack: 'r1' } }]);
    const bad = '- mac: 52:54:00:00:00:09\n- mac: 52:54:00:00:00:09\n  colour: blue\n';
    const { code, stderr } = await run('import', write('bad.yml', bad));
    expect(code).toBe(1);
    expect(stderr).toContain('bad.yml:2: unknown column "colour"');
    expect(stderr).toContain('bad.yml:2: 52:54:00:00:00:09 is already on line 1');
  });
});

describe('fleetboot machines assign, install, reinstall, cancel, forget', () => {
  beforeEach(async () => {
    expect((await run('import', write('m.csv', CSV))).code).toBe(0);
  });

  it('assigns by label, marks by pattern, prints the expiry and never the token', async () => {
    const assigned = await run('assign', 'debian12', '--label', 'rack=r1', '--actor', 'alice@admin');
    expect(assigned.stdout).toBe(
      'node01 (52:54:00:00:00:01): profile debian12, ready\nnode02 (52:54:00:00:00:02): profile debian12, ready\n',
    );
    const marked = await run('install', '--match', 'NODE0[12]', '--ttl', '90m');
    expect(marked.code).toBe(1); // [12] is literal in a pattern: nothing matches
    expect(marked.stderr).toContain('no machine matches the selection');
    const install = await run('install', '--match', 'node0?', '--label', 'rack=r1');
    expect(install.code).toBe(0);
    expect(install.stdout).toMatch(
      /^node01 \(52:54:00:00:00:01\): queued, mark expires \d{4}-\d\d-\d\dT[\d:.]+Z\n/,
    );
    expect(install.stdout.split('\n')).toHaveLength(3);
    // An install token is 43 base64url characters; nothing of that shape is printed.
    expect(install.stdout).not.toMatch(/[A-Za-z0-9_-]{43}/);
    expect((await listed('--state', 'queued')).map((m) => m.hostname)).toEqual(['node01', 'node02']);

    const audit = await withStore((store) => store.audit.list());
    expect(audit.map((a) => [a.actor, a.action, a.outcome])).toContainEqual([
      'alice@admin',
      'machine.assign',
      'ok',
    ]);
    expect(audit.at(-1)).toMatchObject({
      actor: `tester@${hostname()}`,
      action: 'machine.mark',
      outcome: 'ok',
    });
  });

  it('refuses a first install of an installed machine, does a reinstall, and exits 1 on any refusal', async () => {
    await withStore(async (store) => {
      const machine = await store.inventory.getByMac(parseMac('52:54:00:00:00:01'));
      if (!machine) throw new Error('node01 missing');
      await store.inventory.update(machine.id, { state: 'installed' }, { state: 'ready' });
    });
    const refused = await run('install', 'node01', '52:54:00:00:00:02');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'node01 (52:54:00:00:00:01): refused: installed: installing again wipes its disk',
    );
    expect(refused.stderr).toContain(
      'node02 (52:54:00:00:00:02): refused: discovered: assign a profile first',
    );
    expect(refused.stderr).toContain('fleetboot: 2 of 2 machine(s) refused');
    const reinstall = await run('reinstall', 'node01');
    expect(reinstall.code).toBe(0);
    expect(reinstall.stdout).toMatch(/^node01 .*: queued, mark expires/);
  });

  it('cancels a mark, forgets only unmarked machines, and shows a machine by MAC', async () => {
    expect((await run('install', 'node01')).code).toBe(0);
    expect((await run('forget', 'node01')).stderr).toContain(
      'refused: queued: marked for install; cancel first',
    );
    expect((await run('cancel', 'node01')).stdout).toBe('node01 (52:54:00:00:00:01): mark canceled, ready\n');
    const shown = await run('show', '52-54-00-00-00-01');
    expect(shown.stdout).toMatch(/^id: +[0-9a-f-]{36}\nhostname: +node01\n/);
    expect((await run('forget', 'node01', 'node03')).code).toBe(0);
    expect((await listed()).map((m) => m.hostname)).toEqual(['node02']);
    expect((await run('show', 'node01')).stderr).toContain('node01: no such machine');
  });

  it('refuses a change with no selection, and clears a profile with --clear', async () => {
    const none = await run('install');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no machine selected');
    expect((await run('assign', '--clear', 'node01')).stdout).toBe(
      'node01 (52:54:00:00:00:01): profile cleared, discovered\n',
    );
    expect((await run('install', 'node01', '--ttl', '10s')).code).toBe(2);
  });
});

describe('parsers', () => {
  it('parseTtl takes 60 s to 7 d', () => {
    expect(parseTtl('90m')).toBe(5_400_000);
    expect(parseTtl('3600')).toBe(3_600_000);
    expect(parseTtl('7d')).toBe(604_800_000);
    expect(() => parseTtl('59s')).toThrow();
    expect(() => parseTtl('8d')).toThrow();
    expect(() => parseTtl('1w')).toThrow();
  });

  it('parseImportFile reads quoted CSV cells, a byte-order mark and CRLF lines', () => {
    const text = '\uFEFFMAC,Hostname,Labels\r\n"52:54:00:00:00:01","node01","note=a, b"\r\n';
    expect(parseImportFile(text, 'csv', new Set())).toEqual({
      machines: [{ macs: ['52:54:00:00:00:01'], hostname: 'node01', labels: { note: 'a, b' } }],
      problems: [],
    });
    expect(parseImportFile('mac\n"52:54', 'csv', new Set()).problems).toEqual([
      'line 2: a quoted cell is not closed',
    ]);
    expect(parseImportFile('mac,colour\n', 'csv', new Set()).problems).toEqual([
      'line 1: unknown column "colour" (expected a header row of mac, uuid, hostname, labels, profile)',
    ]);
  });
});
