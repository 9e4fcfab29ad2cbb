import { describe, expect, it } from 'vitest';
import type { BootClient, LinuxEntry } from '../../src/boot/boot-plan.js';
import { BootConfigTextError } from '../../src/boot/config-text.js';
import { decideBoot, type DecideBootInput } from '../../src/boot/decide.js';
import type { Machine, MachineId, MachineState } from '../../src/inventory/machine.js';
import type { OsImage } from '../../src/inventory/os-image.js';
import type { Profile, Rule } from '../../src/inventory/profile.js';
import type { EpochMs } from '../../src/inventory/time.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';

const NOW = 1_800_000_000_000 as EpochMs;
const TOKEN = 'A'.repeat(43);
const HTTP = 'http://192.0.2.1:8080';
const MAC = parseMac('52:54:00:12:34:56');
const client: BootClient = { address: parseIpv4('192.0.2.50'), mac: MAC, arch: 0 };

const image = (over: Partial<OsImage> = {}): OsImage => ({
  name: 'debian-12-amd64',
  family: 'debian',
  release: '12',
  arch: 'amd64',
  kernel: 'images/debian-12-amd64/linux',
  initrds: ['images/debian-12-amd64/initrd.gz'],
  loaders: {},
  files: [],
  source: '/usr/lib/debian-installer/images/12/amd64/text',
  importedAt: NOW,
  ...over,
});
const ubuntu = image({
  name: 'ubuntu-24.04-amd64',
  family: 'ubuntu',
  release: '24.04',
  kernel: 'images/ubuntu-24.04-amd64/casper/vmlinuz',
  initrds: ['images/ubuntu-24.04-amd64/casper/initrd'],
  installSource: 'images/ubuntu-24.04-amd64/ubuntu.iso',
});
const rocky = image({
  name: 'rocky-9-amd64',
  family: 'rhel',
  release: '9.4',
  kernel: 'images/rocky-9-amd64/images/pxeboot/vmlinuz',
  initrds: ['images/rocky-9-amd64/images/pxeboot/initrd.img'],
  installSource: 'images/rocky-9-amd64',
});

const profile = (over: Partial<Profile> = {}): Profile => ({
  name: 'web',
  os: 'debian-12-amd64',
  template: 'debian-preseed',
  kernelArgs: 'console=ttyS0,115200n8',
  variables: { locale: 'en_US.UTF-8', keymap: 'us', domain: 'lab.example' },
  ...over,
});
const rule = (over: Partial<Rule> = {}): Rule => ({
  name: 'rules[0]',
  selector: {},
  profile: 'web',
  unmarked: 'local',
  ...over,
});

const machine = (state: MachineState, over: Partial<Machine> = {}): Machine => ({
  id: '0b6c4f0e-8a55-4a1f-9d4e-3c2f1a0b9e77' as MachineId,
  macs: [MAC],
  uuid: null,
  arch: 0,
  vendorClass: null,
  hostname: 'node01',
  labels: {},
  reservedIp: null,
  profile: 'web',
  state,
  installMark:
    state === 'queued' || state === 'installing'
      ? { by: 'alice', at: NOW - 1000, expiresAt: NOW + 3_600_000, tokenHash: 'ab' }
      : null,
  version: 1,
  createdAt: NOW,
  updatedAt: NOW,
  ...over,
});

const input = (over: Partial<DecideBootInput> = {}): DecideBootInput => ({
  client,
  machine: machine('queued'),
  match: { profile: profile(), rule: rule() },
  image: image(),
  images: [image()],
  hostname: 'node01',
  installToken: TOKEN,
  httpBase: HTTP,
  unmatched: 'local',
  menuTimeoutSeconds: 30,
  now: NOW,
  ...over,
});

function onlyLinux(decision: ReturnType<typeof decideBoot>): LinuxEntry {
  const [entry] = decision.plan.entries;
  if (entry.kind !== 'linux') throw new Error(`expected a linux entry, got ${entry.kind}`);
  return entry;
}

describe('decideBoot: who gets an installer', () => {
  const cases: [string, Partial<DecideBootInput>, 'install' | 'local' | 'menu', RegExp][] = [
    ['queued, profile, image, token', {}, 'install', /marked for install/],
    [
      'installing (the answer file was fetched, F12)',
      { machine: machine('installing') },
      'install',
      /marked/,
    ],
    ['unknown machine', { machine: undefined, match: undefined }, 'local', /unknown machine/],
    ['discovered', { machine: machine('discovered') }, 'local', /not marked/],
    ['ready', { machine: machine('ready') }, 'local', /not marked/],
    ['installed', { machine: machine('installed') }, 'local', /not marked/],
    ['failed', { machine: machine('failed') }, 'local', /not marked/],
    [
      'queued but the mark expired',
      {
        machine: machine('queued', {
          installMark: { by: 'alice', at: NOW - 10, expiresAt: NOW, tokenHash: 'ab' },
        }),
      },
      'local',
      /expired/,
    ],
    ['queued, no profile applies', { match: undefined }, 'local', /no profile/],
    ['queued, image not imported', { image: undefined }, 'local', /not imported/],
    ['queued, image of another name', { image: ubuntu }, 'local', /not imported/],
    ['queued, arm64 client, amd64 image', { client: { ...client, arch: 11 } }, 'local', /arm64/],
    ['queued, no token', { installToken: undefined }, 'local', /token/],
    [
      'unknown machine, server says menu',
      { machine: undefined, match: undefined, unmatched: 'menu' },
      'menu',
      /unknown/,
    ],
    [
      'ready, rule says menu',
      { machine: machine('ready'), match: { profile: profile(), rule: rule({ unmarked: 'menu' }) } },
      'menu',
      /not marked/,
    ],
    [
      'ready, profile assigned to the machine, no rule: the server says menu',
      { machine: machine('ready'), match: { profile: profile(), rule: undefined }, unmatched: 'menu' },
      'menu',
      /not marked/,
    ],
    [
      'ready, rule says local, server says menu',
      { machine: machine('ready'), unmatched: 'menu' },
      'local',
      /not marked/,
    ],
    [
      'unknown, menu, nothing imported',
      { machine: undefined, match: undefined, unmatched: 'menu', images: [] },
      'local',
      /unknown/,
    ],
  ];
  it.each(cases)('%s → %s', (_name, over, action, reason) => {
    const decision = decideBoot(input(over));
    expect(decision.action).toBe(action);
    expect(decision.reason).toMatch(reason);
    const text = JSON.stringify(decision.plan);
    // Catalogue S07: the token (and so an answer-file URL) appears only in an install plan.
    expect(text.includes(TOKEN)).toBe(action === 'install');
    expect(decision.plan.confidential === true).toBe(action === 'install');
    if (action !== 'install') expect(text).not.toMatch(/auto=true|autoinstall|inst\.ks/);
  });
});

describe('decideBoot: installer arguments per family', () => {
  it('Debian: preseed URL, and what d-i asks before fetching it, then the profile arguments', () => {
    const entry = onlyLinux(decideBoot(input()));
    expect(entry.kernel).toBe('images/debian-12-amd64/linux');
    expect(entry.initrds).toEqual(['images/debian-12-amd64/initrd.gz']);
    expect(entry.args).toBe(
      `auto=true priority=critical url=${HTTP}/answers/${TOKEN}/preseed.cfg interface=auto hostname=node01 ` +
        'domain=lab.example locale=en_US.UTF-8 keymap=us console=ttyS0,115200n8',
    );
  });

  it('Debian: a fully qualified host name is split into hostname and domain; absent values are left out', () => {
    const entry = onlyLinux(
      decideBoot(
        input({
          hostname: 'db7.rack2.example',
          match: { profile: profile({ variables: {}, kernelArgs: '' }), rule: rule() },
        }),
      ),
    );
    expect(entry.args).toBe(
      `auto=true priority=critical url=${HTTP}/answers/${TOKEN}/preseed.cfg interface=auto hostname=db7 ` +
        'domain=rack2.example',
    );
  });

  it('Ubuntu: autoinstall from NoCloud over HTTP (trailing slash), the live ISO from the boot root', () => {
    const entry = onlyLinux(
      decideBoot(
        input({
          image: ubuntu,
          match: { profile: profile({ os: ubuntu.name, kernelArgs: '' }), rule: rule() },
        }),
      ),
    );
    expect(entry.args).toBe(
      `autoinstall ds=nocloud-net;s=${HTTP}/answers/${TOKEN}/ ip=dhcp root=/dev/ram0 ramdisk_size=1500000 ` +
        `url=${HTTP}/boot/images/ubuntu-24.04-amd64/ubuntu.iso cloud-config-url=/dev/null`,
    );
  });

  it('RHEL-like: kickstart and install tree', () => {
    const entry = onlyLinux(
      decideBoot(
        input({
          image: rocky,
          match: { profile: profile({ os: rocky.name, kernelArgs: 'inst.text' }), rule: rule() },
        }),
      ),
    );
    expect(entry.args).toBe(
      `inst.ks=${HTTP}/answers/${TOKEN}/ks.cfg ip=dhcp inst.repo=${HTTP}/boot/images/rocky-9-amd64 inst.text`,
    );
  });

  it.each([
    ['a host name with a space', 'node 01', {}],
    ['a locale with a newline', 'node01', { locale: 'en_US\nd-i x' }],
    ['a keymap with a quote', 'node01', { keymap: 'us"' }],
  ])('refuses %s (catalogue H07)', (_name, hostname, variables) => {
    expect(() =>
      decideBoot(
        input({
          hostname,
          match: { profile: profile({ variables }), rule: rule() },
        }),
      ),
    ).toThrow(BootConfigTextError);
  });
});

describe('decideBoot: the menu', () => {
  it('lists every imported OS after local boot, which the timeout boots; interactive, no answer URL', () => {
    const { plan } = decideBoot(
      input({ machine: undefined, match: undefined, unmatched: 'menu', images: [ubuntu, image()] }),
    );
    expect(plan.timeoutSeconds).toBe(30);
    expect(plan.entries.map((e) => [e.id, e.label])).toEqual([
      ['local', 'Boot from local disk'],
      ['os-1', 'Install debian-12-amd64 (debian 12, amd64), interactive'],
      ['os-2', 'Install ubuntu-24.04-amd64 (ubuntu 24.04, amd64), interactive'],
    ]);
    const ubuntuEntry = plan.entries[2];
    expect(ubuntuEntry?.kind === 'linux' ? ubuntuEntry.args : '').toContain(
      `url=${HTTP}/boot/images/ubuntu-24.04-amd64/ubuntu.iso`,
    );
  });
});
