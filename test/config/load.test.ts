import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { diagnosticsOf, loadError, loadText, problemsOf, scratchDir } from './support.js';

const dir = scratchDir();

describe('loadConfig without a file', () => {
  it('is all defaults: valid, and DHCP off', () => {
    const { config, source } = loadConfig({ env: {}, cwd: '/srv/boot' });
    expect(source).toBeUndefined();
    expect(config).toEqual({
      dataDir: '/srv/boot/data',
      log: { level: 'info' },
      store: { dialect: 'sqlite', file: '/srv/boot/data/fleetboot.db' },
      http: { listen: { host: '0.0.0.0', port: 8080 } },
      tftp: {
        enabled: true,
        listen: { host: '0.0.0.0', port: 69 },
        roots: [],
        blocksize: 1468,
        windowsize: 16,
        timeout: 1,
        retries: 5,
        maxTransfers: 1000,
        maxPerClient: 8,
        transport: 'native',
        busyPoll: 200,
        bootConfigs: { machines: [] },
      },
      dhcp: { mode: 'off', interfaces: [], subnets: [], rogueCheckInterval: 300, bootFiles: {} },
      cache: {
        enabled: false,
        listen: { host: '0.0.0.0', port: 3142 },
        repositories: [],
        aptSources: '/etc/apt',
        allow: [],
        maxSizeBytes: 20480 * 1024 * 1024,
        indexMaxAgeSeconds: 120,
      },
      profiles: [],
      rules: [],
      machines: [],
      install: { markTtlMs: 4 * 3600 * 1000, unknown: 'local', menuTimeoutSeconds: 10 },
    });
  });

  it('equals an empty file, and a file of only comments', () => {
    const none = loadConfig({ env: {}, cwd: dir }).config;
    expect(loadText(dir, '').config).toEqual(none);
    expect(loadText(dir, '# nothing here yet\n').config).toEqual(none);
  });
});

describe('the example of issue 2', () => {
  it('reports tftp: {blocksize: "big"} at file:line:column with a hint', () => {
    const error = loadError(() => loadText(dir, 'tftp: {blocksize: "big"}\n'));
    expect(error.diagnostics).toHaveLength(1);
    expect(error.toString()).toBe(
      'fleetboot.yaml:1:19: tftp.blocksize: expected an integer from 512 to 65464, got "big"\n' +
        '    hint: Largest block size (RFC 2348 `blksize`) granted to a client that asks for one. 1468 keeps a ' +
        'block in one Ethernet frame; larger sizes rely on IP fragmentation, which some firmware mishandles.',
    );
    expect(error.code).toBe('FLEETBOOT_CONFIG_INVALID');
  });

  it('points at the value in block style too', () => {
    const [d] = diagnosticsOf(dir, '# fleetboot\ntftp:\n  blocksize: big\n');
    expect(d?.origin).toEqual({ kind: 'file', file: 'fleetboot.yaml', line: 3, column: 14 });
  });
});

describe('reporting', () => {
  it('reports every problem in one load, in file order', () => {
    const text = [
      'log:',
      '  level: loud', // 2
      'tftp:',
      '  windowsize: 0', // 4
      '  retries: 21', // 5
      'http:',
      '  listen: 8080', // 7
      'dhcp:',
      '  mode: full',
      '  interfaces: [eth1]',
      '  subnets:',
      '    - subnet: 10.0.0.1/24', // 12
      '',
    ].join('\n');
    const diagnostics = diagnosticsOf(dir, text);
    expect(diagnostics.map((d) => [d.origin.kind === 'file' ? d.origin.line : 0, d.path])).toEqual([
      [2, 'log.level'],
      [4, 'tftp.windowsize'],
      [5, 'tftp.retries'],
      [7, 'http.listen'],
      [12, 'dhcp.subnets[0].subnet'],
    ]);
  });

  it('reports more problems than TypeBox collects by default (8)', () => {
    const keys = ['blocksize', 'windowsize', 'timeout', 'retries', 'maxTransfers', 'maxPerClient', 'enabled'];
    const text = `tftp:\n${keys.map((k) => `  ${k}: x`).join('\n')}\nlog: {level: x}\nhttp: {listen: x}\n`;
    expect(diagnosticsOf(dir, text)).toHaveLength(keys.length + 2);
  });

  it('reports rule problems next to schema problems of other parts', () => {
    const text = 'tftp: {retries: 0}\ndhcp: {mode: proxy}\n';
    expect(problemsOf(dir, text)).toEqual([
      'tftp.retries: expected an integer from 1 to 20, got 0',
      'dhcp.interfaces: dhcp.mode is proxy, but no interface is named',
    ]);
  });

  it('names the wrong value exactly: strings quoted, lists and mappings by kind', () => {
    expect(problemsOf(dir, 'dataDir: [a]\nlog: {level: ""}\ntftp: {enabled: "yes", roots: /srv}\n')).toEqual([
      'dataDir: expected a non-empty string, got a list',
      'log.level: expected one of fatal, error, warn, info, debug, trace, silent, got ""',
      'tftp.enabled: expected true or false, got "yes"',
      'tftp.roots: expected a list, each a non-empty string, got "/srv"',
    ]);
  });

  it('reports a section that is not a mapping', () => {
    expect(problemsOf(dir, 'tftp: 5\n')).toEqual(['tftp: expected a mapping, got 5']);
  });

  it('reports a file that is not a mapping of settings', () => {
    expect(problemsOf(dir, '- a\n- b\n')).toEqual([
      ': expected a mapping of settings such as `dataDir: data`, got a list or a single value',
    ]);
  });
});

describe('unknown keys', () => {
  it.each([
    ['tftp:\n  blksize: 1024\n', 'tftp.blksize', 2, 3, 'did you mean `blocksize`?'],
    ['tfpt:\n  blocksize: 1024\n', 'tfpt', 1, 1, 'did you mean `tftp`?'],
    ['data_dir: x\n', 'data_dir', 1, 1, 'did you mean `dataDir`?'],
    ['log: {Level: info}\n', 'log.Level', 1, 7, 'did you mean `level`?'],
    [
      'dhcp:\n  subnets:\n    - subnet: 10.0.0.0/24\n      lease: 60\n',
      'dhcp.subnets[0].lease',
      4,
      7,
      undefined,
    ],
    ['http: {port: 80}\n', 'http.port', 1, 8, 'valid keys here: listen, publicUrl'],
    [
      'colour: blue\n',
      'colour',
      1,
      1,
      'valid keys at the top level: dataDir, log, store, http, tftp, dhcp, cache, profiles, rules, machines, install',
    ],
  ])('%j is reported with a hint', (text, key, line, column, hint) => {
    const [d, ...rest] = diagnosticsOf(dir, text);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ path: key, message: 'unknown key', origin: { line, column } });
    if (hint !== undefined) expect(d?.hint).toBe(hint);
  });

  it('suggests leaseTime for lease', () => {
    const [d] = diagnosticsOf(dir, 'dhcp:\n  subnets:\n    - subnet: 10.0.0.0/24\n      lease: 60\n');
    expect(d?.hint).toBe('did you mean `leaseTime`?');
  });

  it('reports a key named __proto__ instead of swallowing it', () => {
    expect(problemsOf(dir, '__proto__: {dataDir: x}\n')).toEqual(['__proto__: unknown key']);
  });
});

describe('YAML syntax', () => {
  it.each([
    ['tftp:\n\tblocksize: 1\n', 2, 1],
    ['tftp: {blocksize: 1\n', 2, 1],
    ['log:\n  level: info\n  level: debug\n', 3, 3],
    ['dataDir: a\n---\ndataDir: b\n', 2, 1],
  ])('%j is reported at its line', (text, line, column) => {
    const [d] = diagnosticsOf(dir, text);
    expect(d?.message).toMatch(/^YAML: /);
    expect(d?.origin).toMatchObject({ kind: 'file', line });
    expect(d?.origin.kind === 'file' ? d.origin.column : 0).toBeGreaterThanOrEqual(column);
  });

  it('explains duplicate keys and tabs', () => {
    expect(diagnosticsOf(dir, 'log:\n  level: info\n  level: debug\n')[0]?.hint).toMatch(/merge/);
    expect(diagnosticsOf(dir, 'tftp:\n\tblocksize: 1\n')[0]?.hint).toMatch(/tabs/);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const text = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]']
      .concat([
        'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
        'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      ])
      .join('\n');
    expect(problemsOf(dir, text)[0]).toMatch(/^: YAML: /);
  });
});

describe('empty keys', () => {
  it('take their defaults, as a file with commented-out lines reads', () => {
    const { config } = loadText(dir, 'tftp:\n  # blocksize: 512\nlog:\nhttp:\n  publicUrl:\n');
    expect(config.tftp.blocksize).toBe(1468);
    expect(config.log.level).toBe('info');
    expect(config.http.publicUrl).toBeUndefined();
  });

  it('are still errors as list items', () => {
    expect(problemsOf(dir, 'dhcp:\n  interfaces:\n    -\n')).toEqual([
      'dhcp.interfaces[0]: expected a network interface name such as eth1 (1 to 15 characters), got nothing',
    ]);
  });
});

describe('paths', () => {
  it('resolves dataDir and TFTP roots against the directory of the file, a sqlite file against dataDir', () => {
    const etc = path.join(dir, 'etc');
    mkdirSync(etc, { recursive: true });
    writeFileSync(
      path.join(etc, 'fleetboot.yaml'),
      'dataDir: ../var/lib/fleetboot\nstore: sqlite:db/fleet.db\ntftp: {roots: [tftp, /srv/tftp]}\n',
    );
    const { config, source } = loadConfig({ path: 'etc/fleetboot.yaml', cwd: dir, env: {} });
    expect(source).toBe(path.join(etc, 'fleetboot.yaml'));
    expect(config.dataDir).toBe(path.join(dir, 'var/lib/fleetboot'));
    expect(config.store).toEqual({
      dialect: 'sqlite',
      file: path.join(dir, 'var/lib/fleetboot/db/fleet.db'),
    });
    expect(config.tftp.roots).toEqual([path.join(etc, 'tftp'), '/srv/tftp']);
  });

  it('keeps an in-memory SQLite store as SQLite names it', () => {
    expect(loadText(dir, 'store: "sqlite::memory:"\n').config.store).toEqual({
      dialect: 'sqlite',
      file: ':memory:',
    });
  });

  it('puts the default sqlite file in dataDir', () => {
    expect(loadText(dir, 'dataDir: /var/lib/fleetboot\n').config.store).toEqual({
      dialect: 'sqlite',
      file: '/var/lib/fleetboot/fleetboot.db',
    });
  });

  it('names a file outside the working directory by its absolute path', () => {
    writeFileSync(path.join(dir, 'outside.yaml'), 'log: {level: x}\n');
    const elsewhere = path.join(dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const [d] = loadError(() =>
      loadConfig({ path: path.join(dir, 'outside.yaml'), cwd: elsewhere, env: {} }),
    ).diagnostics;
    expect(d?.origin).toMatchObject({ file: path.join(dir, 'outside.yaml') });
  });

  it('reports a config file that does not exist', () => {
    const error = loadError(() => loadConfig({ path: 'missing.yaml', cwd: dir, env: {} }));
    expect(error.toString()).toMatch(
      /^missing\.yaml:1:1: cannot read the config file: no such file\n {4}hint: /,
    );
  });
});
