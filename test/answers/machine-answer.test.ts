import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnswerTemplates, machineAnswer, type MachineAnswerDeps } from '../../src/answers/machine-answer.js';
import type { Machine, MachineId } from '../../src/inventory/machine.js';
import type { OsImage } from '../../src/inventory/os-image.js';
import type { Profile, Rule } from '../../src/inventory/profile.js';
import type { Mac } from '../../src/values/mac.js';
import { SAMPLE_VARIABLES } from './sample.js';

const machine: Machine = {
  id: '3f0c6a52-9d4e-4e57-8b0b-0c1d2e3f4a5b' as MachineId,
  macs: ['52:54:00:12:34:56' as Mac],
  uuid: null,
  arch: null,
  vendorClass: null,
  hostname: null,
  labels: { rack: 'r1' },
  reservedIp: null,
  profile: null,
  state: 'queued',
  installMark: null,
  version: 1,
  createdAt: 0,
  updatedAt: 0,
};
const image: OsImage = {
  name: 'debian-12-amd64',
  family: 'debian',
  release: '12',
  arch: 'amd64',
  kernel: 'images/debian-12-amd64/linux',
  initrds: ['images/debian-12-amd64/initrd.gz'],
  loaders: {},
  files: [],
  source: '/usr/lib/debian-installer/images/12/amd64/text',
  importedAt: 0,
};
const profile: Profile = {
  name: 'web',
  os: 'debian-12-amd64',
  template: 'debian-preseed',
  kernelArgs: '',
  variables: SAMPLE_VARIABLES,
};
const rule: Rule = {
  name: 'rules[0]',
  selector: { labels: { rack: 'r1' } },
  profile: 'web',
  unmarked: 'local',
};
const request = {
  ip: null,
  urls: {
    answers: 'http://10.0.0.1/answers/t',
    done: 'http://10.0.0.1/answers/t/done',
    failed: 'http://10.0.0.1/answers/t/failed',
    progress: 'http://10.0.0.1/answers/t/progress',
    boot: 'http://10.0.0.1/boot',
  },
};
const deps = (images: readonly OsImage[] = [image]): MachineAnswerDeps => ({
  templates: new AnswerTemplates(),
  profiles: [profile],
  rules: [rule],
  image: (name) => Promise.resolve(images.find((i) => i.name === name)),
});

describe('machineAnswer', () => {
  it("renders the template's first file of the profile a rule gives the machine", async () => {
    const answer = await machineAnswer(deps(), machine, undefined, request);
    expect(answer.kind).toBe('answer');
    if (answer.kind !== 'answer') return;
    expect([answer.profile.name, answer.file, answer.contentType]).toEqual([
      'web',
      'preseed.cfg',
      'text/plain; charset=utf-8',
    ]);
    expect(answer.text).toContain('d-i netcfg/hostname string node-525400123456\n');
  });

  it('says why there is no answer', async () => {
    expect((await machineAnswer(deps(), { ...machine, labels: {} }, undefined, request)).kind).toBe(
      'no-profile',
    );
    expect((await machineAnswer(deps(), { ...machine, profile: 'gone' }, undefined, request)).kind).toBe(
      'no-profile',
    );
    expect((await machineAnswer(deps([]), machine, undefined, request)).kind).toBe('no-image');
    expect((await machineAnswer(deps(), machine, 'user-data', request)).kind).toBe('no-file');
  });
});

describe('AnswerTemplates', () => {
  it('loads a template once, and again after a failed load', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fleetboot-templates-'));
    try {
      const templates = new AnswerTemplates();
      await expect(templates.load(dir)).rejects.toThrow(/template\.yaml: is missing/);
      await writeFile(path.join(dir, 'template.yaml'), 'format: preseed\nfiles: [p]\n');
      await writeFile(path.join(dir, 'p'), 'd-i a/b string c\n');
      const first = await templates.load(dir);
      await writeFile(path.join(dir, 'p'), 'changed on disk\n');
      expect(await templates.load(dir)).toBe(first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
