import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { diagnosticsOf, loadText, problemsOf, scratchDir } from './support.js';

// profiles, rules, machines and install (issue 5 items 2–4): what the loader builds, and every cross-key rule
// reported at the line it concerns.

const dir = scratchDir();
const debian = { name: 'debian12', os: 'debian-12-amd64', template: 'debian-preseed' };
const load = (value: object) => loadText(dir, stringify(value)).config;
const problems = (value: object) => problemsOf(dir, stringify(value));

describe('provisioning config', () => {
  it('defaults to no profiles, rules or machines, marks for 4 h and local boot for the unknown', () => {
    const config = load({});
    expect(config.profiles).toEqual([]);
    expect(config.rules).toEqual([]);
    expect(config.machines).toEqual([]);
    expect(config.install).toEqual({ markTtlMs: 4 * 3600 * 1000, unknown: 'local', menuTimeoutSeconds: 10 });
  });

  it('builds profiles, rules and machines in the domain types', () => {
    const config = load({
      profiles: [
        {
          ...debian,
          kernelArgs: 'console=ttyS0',
          variables: { disk: '/dev/sda', packages: ['openssh-server'] },
        },
        { name: 'custom', os: 'debian-12-amd64', template: 'templates/web.preseed' },
      ],
      rules: [
        { match: { subnet: '10.0.0.0/24', labels: { rack: 'r12' } }, profile: 'debian12', unmarked: 'menu' },
        { name: 'one-box', match: { mac: '52-54-00-AA-BB-CC' }, profile: 'custom' },
      ],
      machines: [
        {
          macs: ['52:54:00:AA:BB:01', '52:54:00:aa:bb:02'],
          uuid: '4C4C4544-0032-3010-8052-B4C04F4E4432',
          hostname: 'Node01',
          labels: { rack: 'r12' },
          profile: 'debian12',
          reservedIp: '10.0.0.5',
        },
      ],
      install: { markTtl: 600, unknown: 'menu', menuTimeout: 5 },
    });
    expect(config.profiles).toEqual([
      {
        name: 'debian12',
        os: 'debian-12-amd64',
        template: 'debian-preseed',
        kernelArgs: 'console=ttyS0',
        variables: { disk: '/dev/sda', packages: ['openssh-server'] },
      },
      {
        name: 'custom',
        os: 'debian-12-amd64',
        template: path.join(dir, 'templates/web.preseed'),
        kernelArgs: '',
        variables: {},
      },
    ]);
    expect(config.rules).toEqual([
      {
        name: 'rules[0]',
        selector: { subnet: { network: '10.0.0.0', prefixLength: 24 }, labels: { rack: 'r12' } },
        profile: 'debian12',
        unmarked: 'menu',
      },
      { name: 'one-box', selector: { mac: '52:54:00:aa:bb:cc' }, profile: 'custom', unmarked: 'local' },
    ]);
    expect(config.machines).toEqual([
      {
        macs: ['52:54:00:aa:bb:01', '52:54:00:aa:bb:02'],
        uuid: '4c4c4544-0032-3010-8052-b4c04f4e4432',
        hostname: 'node01',
        labels: { rack: 'r12' },
        profile: 'debian12',
        reservedIp: '10.0.0.5',
      },
    ]);
    expect(config.install).toEqual({ markTtlMs: 600_000, unknown: 'menu', menuTimeoutSeconds: 5 });
  });

  it('reports two equally specific rules that can match one machine at the second, naming both', () => {
    const text = stringify({
      profiles: [debian, { ...debian, name: 'other' }],
      rules: [
        { name: 'rack', match: { labels: { rack: 'r12' } }, profile: 'debian12' },
        { name: 'uefi', match: { arch: 7 }, profile: 'other' },
      ],
    });
    const [diagnostic, ...rest] = diagnosticsOf(dir, text);
    expect(rest).toEqual([]);
    expect(diagnostic?.path).toBe('rules[1].match');
    expect(diagnostic?.message).toBe(
      'rules[1] (uefi) and rules[0] (rack) are equally specific and can match the same machine ' +
        '(arch 7 / label rack=r12)',
    );
    // The line of the second rule's `match:` (1-based).
    const line = text.split('\n').findIndex((l) => l.includes('arch: 7')) + 1;
    expect(diagnostic?.origin).toMatchObject({ kind: 'file', file: 'fleetboot.yaml', line });
  });

  it('lets the more specific rule stand beside the wider one, and rules that exclude each other', () => {
    const config = load({
      profiles: [debian],
      rules: [
        { match: {}, profile: 'debian12' },
        { match: { subnet: '10.0.0.0/16' }, profile: 'debian12' },
        { match: { subnet: '10.0.1.0/24' }, profile: 'debian12' },
        { match: { subnet: '10.1.0.0/16' }, profile: 'debian12' },
        { match: { subnet: '10.0.1.0/24', labels: { rack: 'a' } }, profile: 'debian12' },
        { match: { mac: '52:54:00:00:00:01' }, profile: 'debian12' },
        { match: { mac: '52:54:00:00:00:02' }, profile: 'debian12' },
      ],
    });
    expect(config.rules).toHaveLength(7);
  });

  it('ties two catch-all rules', () => {
    expect(
      problems({ profiles: [debian], rules: [{ profile: 'debian12' }, { profile: 'debian12' }] }),
    ).toEqual([
      'rules[1].match: rules[1] and rules[0] are equally specific and can match the same machine ' +
        '(every machine / every machine)',
    ]);
  });

  it('refuses unknown profiles, duplicate names, MACs, host names and addresses', () => {
    expect(
      problems({
        profiles: [debian, { ...debian }],
        rules: [
          { name: 'a', match: { mac: '52:54:00:00:00:01' }, profile: 'debain12' },
          { name: 'a', match: { mac: '52:54:00:00:00:02' }, profile: 'debian12' },
        ],
        machines: [
          { macs: ['52:54:00:00:00:01'], hostname: 'node01', reservedIp: '10.0.0.5', profile: 'nope' },
          { macs: ['52-54-00-00-00-01'], hostname: 'NODE01', reservedIp: '10.0.0.5' },
        ],
      }),
    ).toEqual([
      'profiles[1].name: "debian12" is already used by profiles[0]',
      'rules[0].profile: no profile is named "debain12"',
      'rules[1].name: "a" is already used by rules[0]',
      'machines[0].profile: no profile is named "nope"',
      'machines[1].macs[0]: 52:54:00:00:00:01 is already listed at machines[0].macs[0]',
      'machines[1].hostname: "node01" is already used by machines[0]',
      'machines[1].reservedIp: "10.0.0.5" is already used by machines[0]',
    ]);
  });

  it('checks every value with its parser: hostnames (RFC 1123), kernel arguments, names, labels, templates', () => {
    const found = problems({
      profiles: [
        { name: 'Bad_Name', os: 'debian-12-amd64', template: 'debian-preseed' },
        { name: 'k', os: 'debian-12-amd64', template: 'debian-preseed', kernelArgs: 'a="b c"' },
        { name: 't', os: '../etc', template: 'not a template' },
      ],
      machines: [
        { macs: ['52:54:00:00:00:01'], hostname: 'node01\nd-i preseed/late_command string id' },
        { macs: ['52:54:00:00:00:02'], labels: { 'bad key': 'x', ok: 'line\nbreak' } },
        { macs: [] },
      ],
      install: { markTtl: 10, unknown: 'install' },
    });
    expect(found.map((p) => p.slice(0, p.indexOf(':')))).toEqual([
      'profiles[0].name',
      'profiles[1].kernelArgs',
      'profiles[2].os',
      'profiles[2].template',
      'machines[0].hostname',
      'machines[1].labels.bad key',
      'machines[1].labels.ok',
      'machines[2].macs',
      'install.markTtl',
      'install.unknown',
    ]);
  });
});
