import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseTtl } from '../../src/cli/commands/machines.js';
import { parseImportFile } from '../../src/cli/machines/import-file.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { tsharkExpertItems, tsharkFields } from '../support/tshark.js';
import { type CliServer, startCliServer } from '../support/cli-server.js';

// `fleetboot machines …` against a running fleetboot (issue 6 item 3): list, show, label, assign, install,
// reinstall, cancel and forget through its API with a token; import on the server, against its store.

let s: CliServer;
const run = (...argv: string[]) => s.run(['machines', ...argv]);

function write(name: string, text: string): string {
  writeFileSync(path.join(s.dir, name), text);
  return name;
}

interface Listed {
  hostname: string;
  state: string;
  profile: string | null;
  labels: Record<string, string>;
}

async function listed(...argv: string[]): Promise<Listed[]> {
  const { code, stdout, stderr } = await run('list', '--output', 'json', ...argv);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as Listed[];
}

const machineOf = async (mac: string) => {
  const machine = await s.server.store.inventory.getByMac(parseMac(mac));
  if (machine === undefined) throw new Error(`${mac} is not in the inventory`);
  return machine;
};

const CSV = `mac,hostname,labels,profile
52:54:00:00:00:01,node01,rack=r1;role=web,web
52-54-00-00-00-02,node02,rack=r1,
52:54:00:00:00:03;52:54:00:00:01:03,node03,rack=r2,
`;

/** One server for the file (it takes a second or two to start); each test begins with an empty inventory. */
function withServer(): void {
  beforeAll(async () => {
    s = await startCliServer();
  });
  afterAll(async () => {
    await s.stop();
  });
  beforeEach(async () => {
    const { items } = await s.server.store.inventory.list({ limit: 1000 });
    for (const machine of items) await s.server.store.inventory.forget(machine.id);
  });
}

describe('fleetboot machines import (on the server)', () => {
  withServer();

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

describe('fleetboot machines over the API', () => {
  withServer();
  beforeEach(async () => {
    expect((await run('import', write('m.csv', CSV))).code).toBe(0);
  });

  it('lists with filters (state, label, pattern) as a table and as JSON', async () => {
    expect((await listed('--label', 'rack=r1')).map((m) => m.hostname)).toEqual(['node01', 'node02']);
    expect((await listed('--state', 'ready')).map((m) => m.hostname)).toEqual(['node01']);
    expect((await listed('--state', 'discovered', '--match', 'NODE0?')).map((m) => m.hostname)).toEqual([
      'node02',
      'node03',
    ]);
    expect((await listed('--match', '52:54:00:00:01:*')).map((m) => m.hostname)).toEqual(['node03']);
    const table = await run('list', '--label', 'rack=r2');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID +HOSTNAME +MAC +STATE +PROFILE +LABELS +MARK EXPIRES$/);
    expect(table.stdout).toMatch(
      /\bnode03 +52:54:00:00:00:03,52:54:00:00:01:03 +discovered +- +rack=r2 +-\n$/,
    );
  });

  it("saves a machine's boot capture as a pcap file that tshark decodes, for a viewer", async () => {
    const mac = parseMac('52:54:00:00:00:01');
    const client = { address: parseIpv4('192.0.2.50'), port: 2070 };
    const server = { address: parseIpv4('192.0.2.1'), port: 69 };
    const rrq = Buffer.from('\x00\x01pxelinux.0\x00octet\x00blksize\x001468\x00', 'latin1');
    const oack = Buffer.from('\x00\x06blksize\x001468\x00', 'latin1');
    const bound = { packets: 100, bytes: 65_536 };
    const at = Date.now();
    await s.server.store.captures.append(
      [
        {
          at,
          mac,
          protocol: 'tftp',
          direction: 'in',
          source: client,
          destination: server,
          payload: rrq,
          payloadLength: rrq.length,
        },
        {
          at: at + 1,
          mac,
          protocol: 'tftp',
          direction: 'out',
          source: { ...server, port: 40_000 },
          destination: client,
          payload: oack,
          payloadLength: oack.length,
        },
      ],
      bound,
    );
    const { code, stderr } = await s.run(['machines', 'capture', 'node01', '-o', 'boot.pcap'], 'viewer');
    expect(code).toBe(0);
    expect(stderr).toMatch(/^node01 \(52:54:00:00:00:01\): \d+ bytes of capture written to boot\.pcap\n$/);
    const file = path.join(s.dir, 'boot.pcap');
    expect(
      await tsharkFields(file, ['tftp.opcode', 'tftp.source_file', 'tftp.option.name', 'udp.dstport']),
    ).toEqual([
      {
        'tftp.opcode': '1',
        'tftp.source_file': 'pxelinux.0',
        'tftp.option.name': 'blksize',
        'udp.dstport': '69',
      },
      { 'tftp.opcode': '6', 'tftp.source_file': '', 'tftp.option.name': 'blksize', 'udp.dstport': '2070' },
    ]);
    expect(await tsharkExpertItems(file)).toEqual([]);

    // A machine nobody captured: a valid, empty file. An unknown one: nothing written, the selection's error.
    expect((await s.run(['machines', 'capture', 'node02', '-o', 'empty.pcap'], 'viewer')).code).toBe(0);
    expect(await tsharkFields(path.join(s.dir, 'empty.pcap'), ['frame.number'])).toEqual([]);
    const unknown = await s.run(['machines', 'capture', 'node99', '-o', 'none.pcap'], 'viewer');
    expect(unknown.code).not.toBe(0);
    expect(existsSync(path.join(s.dir, 'none.pcap'))).toBe(false);
  });

  it('shows one machine by MAC, host name or id, as text and as JSON', async () => {
    const shown = await run('show', '52-54-00-00-00-01');
    expect(shown.stdout).toMatch(/^id: +[0-9a-f-]{36}\nhostname: +node01\n/);
    expect(shown.stdout).toContain('\nlabels:       rack=r1,role=web\n');
    const { id } = await machineOf('52:54:00:00:00:01');
    const byId = await run('show', id, '--output', 'json');
    expect(JSON.parse(byId.stdout)).toMatchObject({
      id,
      hostname: 'node01',
      state: 'ready',
      installMark: null,
    });
    expect((await run('show', 'NODE02')).stdout).toContain('52:54:00:00:00:02');
    const missing = await run('show', 'node09');
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('node09: no such machine');
  });

  it('assigns by label, marks by pattern, prints the expiry and never the token', async () => {
    const since = Date.now();
    const assigned = await run('assign', 'debian12', '--label', 'rack=r1');
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
    const queued = await machineOf('52:54:00:00:00:02');
    expect(queued.state).toBe('queued');
    expect(queued.installMark?.by).toBe('operator');

    // The API audits each change under the token's name; the import was the server's user.
    const audit = await s.server.store.audit.list({ since });
    expect(audit.map((a) => [a.actor, a.action, a.outcome])).toContainEqual([
      'operator',
      'machine.assign',
      'ok',
    ]);
    expect(audit.filter((a) => a.action === 'machine.mark').map((a) => [a.actor, a.outcome])).toEqual([
      ['operator', 'ok'],
      ['operator', 'ok'],
    ]);
    expect((await s.server.store.audit.list()).some((a) => a.actor === `tester@${hostname()}`)).toBe(true);
  });

  it('acts on each machine of a selection, reports each, and exits 1 if any was refused', async () => {
    await s.server.store.inventory.update(
      (await machineOf('52:54:00:00:00:01')).id,
      { state: 'installed' },
      {
        state: 'ready',
      },
    );
    const refused = await run('install', 'node01', '52:54:00:00:00:02', 'node03');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'node01 (52:54:00:00:00:01): refused: installed: installing again wipes its disk',
    );
    expect(refused.stderr).toContain(
      'node02 (52:54:00:00:00:02): refused: discovered: assign a profile first',
    );
    expect(refused.stderr).toContain('fleetboot: 3 of 3 machine(s) refused');
    expect((await run('assign', 'debian12', 'node02', 'node03')).code).toBe(0);
    const mixed = await run('install', '--label', 'rack=r1', 'node03');
    expect(mixed.code).toBe(1);
    expect(mixed.stdout).toMatch(
      /^node03 .*: queued, mark expires .*\nnode02 .*: queued, mark expires .*\n$/,
    );
    expect(mixed.stderr).toContain('fleetboot: 1 of 3 machine(s) refused');
    const reinstall = await run('reinstall', 'node01');
    expect(reinstall.code).toBe(0);
    expect(reinstall.stdout).toMatch(/^node01 .*: queued, mark expires/);
    expect((await machineOf('52:54:00:00:00:01')).state).toBe('queued');

    const cancel = await run('cancel', '--match', 'node0*');
    expect(cancel.stdout).toBe(
      'node01 (52:54:00:00:00:01): mark canceled, installed\n' +
        'node02 (52:54:00:00:00:02): mark canceled, ready\n' +
        'node03 (52:54:00:00:00:03): mark canceled, ready\n',
    );
    expect((await listed('--state', 'queued')).map((m) => m.hostname)).toEqual([]);
  });

  it('sets and removes labels, keeping the others', async () => {
    const labelled = await run('label', '--label', 'rack=r1', '--set', 'batch=3', '--unset', 'role');
    expect(labelled.stdout).toBe(
      'node01 (52:54:00:00:00:01): labels batch=3,rack=r1\nnode02 (52:54:00:00:00:02): labels batch=3,rack=r1\n',
    );
    expect((await machineOf('52:54:00:00:00:01')).labels).toEqual({ rack: 'r1', batch: '3' });
    expect((await listed('--label', 'batch=3')).map((m) => m.hostname)).toEqual(['node01', 'node02']);
    expect((await run('label', 'node01')).code).toBe(2);
    expect((await run('label', 'node01', '--set', 'bad key=1')).code).toBe(2);
  });

  it('forgets only unmarked machines, with an admin token', async () => {
    expect((await run('install', 'node01')).code).toBe(0);
    const asOperator = await run('forget', 'node02');
    expect(asOperator.code).toBe(6);
    expect(asOperator.stderr).toContain('this call needs the admin role; token operator has operator');
    const forget = (...names: string[]) => s.run(['machines', 'forget', ...names], 'admin');
    expect((await forget('node01')).stderr).toContain('refused: queued: marked for install; cancel first');
    expect((await forget('node02', 'node03')).code).toBe(0);
    expect((await listed()).map((m) => m.hostname)).toEqual(['node01']);
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
