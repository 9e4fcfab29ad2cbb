import { describe, expect, it } from 'vitest';
import { buildAnswerContext, type AnswerContextInput } from '../../src/answers/context.js';
import { AnswerRenderError } from '../../src/answers/errors.js';
import { expandHostnamePattern } from '../../src/answers/hostname-pattern.js';
import type { Machine, MachineId } from '../../src/inventory/machine.js';
import type { OsImage } from '../../src/inventory/os-image.js';
import type { Profile } from '../../src/inventory/profile.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { timeOrderedIds } from '../../src/values/time-ordered-id.js';
import { parseUuid } from '../../src/values/uuid.js';

const machine: Machine = {
  id: '3f0c6a52-9d4e-4e57-8b0b-0c1d2e3f4a5b' as MachineId,
  macs: [parseMac('52:54:00:12:34:56'), parseMac('52:54:00:ab:cd:ef')],
  uuid: parseUuid('aabd48c4-0eb7-4b00-9ec1-b9d1271425c0'),
  arch: 7,
  vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
  hostname: null,
  labels: { rack: 'r12' },
  reservedIp: null,
  profile: 'web',
  state: 'queued',
  installMark: null,
  version: 3,
  createdAt: 0,
  updatedAt: 0,
};
const profile: Profile = {
  name: 'web',
  os: 'rocky-9',
  template: 'kickstart',
  kernelArgs: '',
  variables: { hostnamePattern: 'web-{labels.rack}-{mac}', disk: '/dev/sda' },
};
const image: OsImage = {
  name: 'rocky-9',
  family: 'rhel',
  release: '9.4',
  arch: 'amd64',
  kernel: 'images/rocky-9/vmlinuz',
  initrds: ['images/rocky-9/initrd.img'],
  installSource: 'images/rocky-9/tree/',
  loaders: {},
  files: [],
  source: '/srv/iso/Rocky-9.4-x86_64-dvd.iso',
  importedAt: 0,
};
const urls = {
  done: 'http://10.0.0.1:8080/install/t/done',
  failed: 'http://10.0.0.1:8080/install/t/failed',
  progress: 'http://10.0.0.1:8080/install/t/progress',
  answers: 'http://10.0.0.1:8080/install/t/',
  boot: 'http://10.0.0.1:8080/boot',
};
const input: AnswerContextInput = { machine, ip: parseIpv4('10.0.0.5'), profile, image, urls };

describe('buildAnswerContext', () => {
  it('gives the template the machine, profile, image and URLs', () => {
    expect(buildAnswerContext(input)).toEqual({
      machine: {
        id: machine.id,
        hostname: 'web-r12-525400123456',
        mac: '52:54:00:12:34:56',
        macs: ['52:54:00:12:34:56', '52:54:00:ab:cd:ef'],
        ip: '10.0.0.5',
        uuid: 'aabd48c4-0eb7-4b00-9ec1-b9d1271425c0',
        arch: 7,
        labels: { rack: 'r12' },
      },
      profile: { name: 'web', os: 'rocky-9', variables: profile.variables },
      os: { name: 'rocky-9', family: 'rhel', release: '9.4', arch: 'amd64' },
      urls: { ...urls, mirror: 'http://10.0.0.1:8080/boot/images/rocky-9/tree/' },
    });
  });

  it('leaves out what is unknown, so a template that writes it fails instead of writing a blank', () => {
    const context = buildAnswerContext({
      ...input,
      ip: null,
      machine: { ...machine, uuid: null, arch: null },
      image: (({ installSource: _dropped, ...rest }) => rest)(image),
    });
    expect(Object.keys(context.machine)).not.toContain('ip');
    expect(Object.keys(context.machine)).not.toContain('uuid');
    expect(Object.keys(context.urls)).not.toContain('mirror');
  });

  it("prefers the machine's own hostname and the profile's mirror", () => {
    const context = buildAnswerContext({
      ...input,
      machine: { ...machine, hostname: 'DB1.Lab.Example' },
      profile: { ...profile, variables: { mirror: 'http://mirror.example/rocky/' } },
    });
    expect(context.machine.hostname).toBe('db1.lab.example');
    expect(context.urls.mirror).toBe('http://mirror.example/rocky/');
  });

  it('falls back to node-{mac}', () => {
    const context = buildAnswerContext({ ...input, profile: { ...profile, variables: {} } });
    expect(context.machine.hostname).toBe('node-525400123456');
  });

  it.each([
    [{ ...machine, hostname: 'bad_name' }, profile.variables, 'machine.hostname'],
    [machine, { hostnamePattern: 'web-{labels.row}' }, 'profile.variables.hostnamePattern'],
    [machine, { hostnamePattern: 'web-{serial}' }, 'profile.variables.hostnamePattern'],
    [machine, { hostnamePattern: 'web {mac}' }, 'profile.variables.hostnamePattern'],
    [machine, { hostnamePattern: 3 }, 'profile.variables.hostnamePattern'],
    [machine, { mirror: ['x'] }, 'profile.variables.mirror'],
  ])('refuses a bad %# naming %s', (m, variables, variable) => {
    let error: unknown;
    try {
      buildAnswerContext({ ...input, machine: m, profile: { ...profile, variables } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AnswerRenderError);
    expect((error as AnswerRenderError).variable).toBe(variable);
    expect((error as AnswerRenderError).template).toBe('kickstart');
  });
});

describe('expandHostnamePattern', () => {
  it.each([
    ['node-{mac}', 'node-525400123456'],
    ['{id}', '3f0c6a52'],
    ['{labels.rack}-{id}.lab.example', 'r12-3f0c6a52.lab.example'],
    ['Fixed', 'fixed'],
  ])('%s → %s', (pattern, name) => {
    expect(expandHostnamePattern(pattern, machine)).toBe(name);
  });

  it('gives {id} of machines enrolled together different names: the random end of a time-ordered id', () => {
    // Two v7 ids made in the same millisecond share their first 12 hex digits (RFC 9562 §5.7).
    const next = timeOrderedIds(() => 1_764_288_000_000);
    const ids = Array.from({ length: 200 }, () => next() as MachineId);
    const names = ids.map((id) => expandHostnamePattern('web-{id}', { ...machine, id }));
    expect(new Set(names).size).toBe(200);
    expect(names[0]).toBe(`web-${(ids[0] ?? '').slice(-8)}`);
  });

  it('refuses a label value that is not a host name', () => {
    expect(() => expandHostnamePattern('{labels.rack}', { ...machine, labels: { rack: 'r 12' } })).toThrow(
      /host name/,
    );
  });
});
