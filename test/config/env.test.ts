import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSettings, envVariableName } from '../../src/config/env.js';
import { loadConfig } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { loadError, loadText, scratchDir } from './support.js';

const dir = scratchDir();
const fromEnv = (env: NodeJS.ProcessEnv) => loadConfig({ env, cwd: dir }).config;
const envErrors = (env: NodeJS.ProcessEnv) => loadError(() => loadConfig({ env, cwd: dir })).toString();

describe('variable names', () => {
  it.each([
    [['dataDir'], 'FLEETBOOT_DATA_DIR'],
    [['log', 'level'], 'FLEETBOOT_LOG__LEVEL'],
    [['tftp', 'maxTransfers'], 'FLEETBOOT_TFTP__MAX_TRANSFERS'],
    [['http', 'publicUrl'], 'FLEETBOOT_HTTP__PUBLIC_URL'],
    [['store'], 'FLEETBOOT_STORE'],
  ])('%j is %s', (keys, name) => {
    expect(envVariableName(keys)).toBe(name);
  });

  it('cover every scalar setting and no list of mappings', () => {
    expect(envSettings(ConfigSchema).map((s) => s.variable)).toEqual([
      'FLEETBOOT_DATA_DIR',
      'FLEETBOOT_LOG__LEVEL',
      'FLEETBOOT_STORE',
      'FLEETBOOT_HTTP__LISTEN',
      'FLEETBOOT_HTTP__PUBLIC_URL',
      'FLEETBOOT_TFTP__ENABLED',
      'FLEETBOOT_TFTP__LISTEN',
      'FLEETBOOT_TFTP__ROOTS',
      'FLEETBOOT_TFTP__BLOCKSIZE',
      'FLEETBOOT_TFTP__WINDOWSIZE',
      'FLEETBOOT_TFTP__TIMEOUT',
      'FLEETBOOT_TFTP__RETRIES',
      'FLEETBOOT_TFTP__MAX_TRANSFERS',
      'FLEETBOOT_TFTP__MAX_PER_CLIENT',
      'FLEETBOOT_TFTP__TRANSPORT',
      'FLEETBOOT_TFTP__BUSY_POLL',
      'FLEETBOOT_TFTP__BOOT_CONFIGS__DEFAULT__LABEL',
      'FLEETBOOT_TFTP__BOOT_CONFIGS__DEFAULT__KERNEL',
      'FLEETBOOT_TFTP__BOOT_CONFIGS__DEFAULT__INITRD',
      'FLEETBOOT_TFTP__BOOT_CONFIGS__DEFAULT__APPEND',
      'FLEETBOOT_TFTP__BOOT_CONFIGS__DEFAULT__LOCALBOOT',
      'FLEETBOOT_DHCP__MODE',
      'FLEETBOOT_DHCP__INTERFACES',
      'FLEETBOOT_DHCP__BOOT_FILES__BIOS',
      'FLEETBOOT_DHCP__BOOT_FILES__UEFI_IA32',
      'FLEETBOOT_DHCP__BOOT_FILES__UEFI_X64',
      'FLEETBOOT_DHCP__BOOT_FILES__UEFI_ARM64',
      'FLEETBOOT_DHCP__BOOT_FILES__UEFI_HTTP_X64',
      'FLEETBOOT_DHCP__BOOT_FILES__UEFI_HTTP_ARM64',
      'FLEETBOOT_DHCP__BOOT_FILES__IPXE',
      'FLEETBOOT_DHCP__ROGUE_CHECK_INTERVAL',
      'FLEETBOOT_CACHE__ENABLED',
      'FLEETBOOT_CACHE__LISTEN',
      'FLEETBOOT_CACHE__PUBLIC_URL',
      'FLEETBOOT_CACHE__APT_SOURCES',
      'FLEETBOOT_CACHE__ALLOW',
      'FLEETBOOT_CACHE__MAX_MEGABYTES',
      'FLEETBOOT_CACHE__INDEX_MAX_AGE',
      'FLEETBOOT_INSTALL__MARK_TTL',
      'FLEETBOOT_INSTALL__UNKNOWN',
      'FLEETBOOT_INSTALL__MENU_TIMEOUT',
    ]);
  });
});

describe('overrides', () => {
  it('set each kind of value, coerced to the schema type', () => {
    const config = fromEnv({
      FLEETBOOT_DATA_DIR: '/var/lib/fleetboot',
      FLEETBOOT_LOG__LEVEL: 'debug',
      FLEETBOOT_STORE: 'postgres://fleetboot@db/fleetboot',
      FLEETBOOT_HTTP__LISTEN: '127.0.0.1:0',
      FLEETBOOT_TFTP__ENABLED: 'false',
      FLEETBOOT_TFTP__MAX_TRANSFERS: '200',
      FLEETBOOT_TFTP__ROOTS: '/srv/a, /srv/b,',
      FLEETBOOT_DHCP__MODE: 'proxy',
      FLEETBOOT_DHCP__INTERFACES: 'eth1,eth2',
    });
    expect(config).toMatchObject({
      dataDir: '/var/lib/fleetboot',
      log: { level: 'debug' },
      store: { dialect: 'postgres', url: 'postgres://fleetboot@db/fleetboot' },
      http: { listen: { host: '127.0.0.1', port: 0 } },
      tftp: { enabled: false, maxTransfers: 200, roots: ['/srv/a', '/srv/b'] },
      dhcp: { mode: 'proxy', interfaces: ['eth1', 'eth2'] },
    });
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['No', false],
    ['off', false],
  ])('reads boolean %j as %s', (value, expected) => {
    expect(fromEnv({ FLEETBOOT_TFTP__ENABLED: value }).tftp.enabled).toBe(expected);
  });

  it('match keys ignoring case and underscores within a level', () => {
    expect(
      fromEnv({ FLEETBOOT_TFTP__MAXTRANSFERS: '7', FLEETBOOT_tftp__max_per_client: '7' }).tftp,
    ).toMatchObject({
      maxTransfers: 7,
      maxPerClient: 7,
    });
  });

  it('an empty list variable clears the list', () => {
    const file = 'dhcp: {interfaces: [eth1]}\n';
    expect(loadText(dir, file, { FLEETBOOT_DHCP__INTERFACES: '' }).config.dhcp.interfaces).toEqual([]);
  });

  it('win over the file, and fill sections the file does not have', () => {
    const { config } = loadText(dir, 'tftp:\n  blocksize: 1024\n', {
      FLEETBOOT_TFTP__BLOCKSIZE: '512',
      FLEETBOOT_LOG__LEVEL: 'warn',
    });
    expect(config.tftp.blocksize).toBe(512);
    expect(config.log.level).toBe('warn');
  });

  it('resolve a relative dataDir against the working directory, not the file', () => {
    const etc = path.join(dir, 'etc');
    mkdirSync(etc, { recursive: true });
    writeFileSync(path.join(etc, 'fleetboot.yaml'), 'dataDir: state\n');
    const load = (env: NodeJS.ProcessEnv) => loadConfig({ path: 'etc/fleetboot.yaml', cwd: dir, env }).config;
    expect(load({}).dataDir).toBe(path.join(etc, 'state'));
    expect(load({ FLEETBOOT_DATA_DIR: 'state' }).dataDir).toBe(path.join(dir, 'state'));
  });

  it('leave variables without the prefix and the non-settings alone', () => {
    const config = fromEnv({
      PATH: '/bin',
      FLEETBOOTX: '1',
      FLEETBOOT_CONFIG: '/etc/fleetboot/fleetboot.yaml',
      FLEETBOOT_URL: 'http://127.0.0.1:8080',
      FLEETBOOT_TOKEN: 'secret',
      FLEETBOOT_TEST_POSTGRES_URL: 'postgres://localhost/test',
    });
    expect(config).toEqual(fromEnv({}));
  });
});

describe('errors from the environment', () => {
  it('name the variable instead of a line', () => {
    expect(envErrors({ FLEETBOOT_TFTP__BLOCKSIZE: 'big' })).toBe(
      'env FLEETBOOT_TFTP__BLOCKSIZE: tftp.blocksize: expected an integer from 512 to 65464, got "big"\n' +
        '    hint: Largest block size (RFC 2348 `blksize`) granted to a client that asks for one. 1468 keeps a ' +
        'block in one Ethernet frame; larger sizes rely on IP fragmentation, which some firmware mishandles.',
    );
  });

  it.each([
    ['FLEETBOOT_TFTP__BLKSIZE', 'did you mean FLEETBOOT_TFTP__BLOCKSIZE?'],
    [
      'FLEETBOOT_TFTP_BLOCKSIZE',
      'did you mean FLEETBOOT_TFTP__BLOCKSIZE? (a double underscore separates levels)',
    ],
    ['FLEETBOOT_DATA_DIRS', 'did you mean FLEETBOOT_DATA_DIR?'],
    ['FLEETBOOT_LOGLEVEL', 'did you mean FLEETBOOT_LOG__LEVEL? (a double underscore separates levels)'],
    ['FLEETBOOT_TOKENS', 'did you mean FLEETBOOT_TOKEN?'],
    ['FLEETBOOT_COLOUR', 'not a setting; see docs/configuration.md for the FLEETBOOT_ variables'],
    ['FLEETBOOT_', 'not a setting; see docs/configuration.md for the FLEETBOOT_ variables'],
  ])('an unknown %s is an error: %s', (variable, hint) => {
    expect(envErrors({ [variable]: '1' })).toBe(`env ${variable}: unknown setting\n    hint: ${hint}`);
  });

  it('a section or a list of mappings cannot be set', () => {
    expect(envErrors({ FLEETBOOT_TFTP: 'off', FLEETBOOT_DHCP__SUBNETS: '10.0.0.0/24' })).toBe(
      'env FLEETBOOT_DHCP__SUBNETS: dhcp.subnets (a list, each a mapping) cannot be set from the environment\n' +
        '    hint: write it in fleetboot.yaml\n' +
        'env FLEETBOOT_TFTP: tftp is a section, not a setting\n' +
        '    hint: set its keys one by one, such as FLEETBOOT_TFTP__ENABLED',
    );
  });

  it('two variables for one setting are an error', () => {
    expect(envErrors({ FLEETBOOT_DATA_DIR: 'a', FLEETBOOT_DATADIR: 'b' })).toBe(
      'env FLEETBOOT_DATA_DIR: dataDir: also set by FLEETBOOT_DATADIR\n    hint: unset one of them; use FLEETBOOT_DATA_DIR',
    );
  });

  it('a rule broken by a variable points at the variable', () => {
    expect(envErrors({ FLEETBOOT_DHCP__MODE: 'proxy' })).toMatch(
      /^env FLEETBOOT_DHCP__MODE: dhcp\.interfaces: dhcp\.mode is proxy, but no interface is named\n/,
    );
  });

  it('a rule between a variable and a default points at the variable', () => {
    expect(envErrors({ FLEETBOOT_TFTP__MAX_TRANSFERS: '4' })).toMatch(
      /^env FLEETBOOT_TFTP__MAX_TRANSFERS: tftp\.maxPerClient: must not exceed tftp\.maxTransfers \(4\)\n/,
    );
  });

  it('a bad item of a list variable points at the variable', () => {
    expect(envErrors({ FLEETBOOT_DHCP__INTERFACES: 'eth1,a/b' })).toMatch(
      /^env FLEETBOOT_DHCP__INTERFACES: dhcp\.interfaces\[1\]: expected a network interface name/,
    );
  });

  it('come after the problems in the file, in one report', () => {
    const error = loadError(() => loadText(dir, 'log: {level: x}\n', { FLEETBOOT_TFTP__RETRIES: '99' }));
    expect(error.diagnostics.map((d) => d.origin.kind)).toEqual(['file', 'env']);
  });
});
