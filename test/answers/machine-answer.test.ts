import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnswerTemplates, renderMachineAnswerFile } from '../../src/answers/machine-answer.js';
import type { AnswerContextInput } from '../../src/answers/context.js';
import type { Machine, MachineId } from '../../src/inventory/machine.js';
import type { OsImage } from '../../src/inventory/os-image.js';
import type { Mac } from '../../src/values/mac.js';
import { SAMPLE_VARIABLES } from './sample.js';

const input = (template: string): AnswerContextInput => ({
  machine: {
    id: '3f0c6a52-9d4e-4e57-8b0b-0c1d2e3f4a5b' as MachineId,
    macs: ['52:54:00:12:34:56' as Mac],
    uuid: null,
    arch: null,
    vendorClass: null,
    hostname: null,
    labels: {},
    reservedIp: null,
    profile: 'web',
    state: 'queued',
    installMark: null,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
  } satisfies Machine,
  ip: null,
  profile: { name: 'web', os: 'debian-12-amd64', template, kernelArgs: '', variables: SAMPLE_VARIABLES },
  image: {
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
  } satisfies OsImage,
  urls: {
    answers: 'http://10.0.0.1/answers/t',
    done: 'http://10.0.0.1/answers/t/done',
    failed: 'http://10.0.0.1/answers/t/failed',
    progress: 'http://10.0.0.1/answers/t/progress',
    boot: 'http://10.0.0.1/boot',
  },
});

describe('renderMachineAnswerFile', () => {
  it("renders a machine's file of its profile's template, undefined for a file the template has not", async () => {
    const templates = new AnswerTemplates();
    const rendered = await renderMachineAnswerFile(templates, input('debian-preseed'), 'preseed.cfg');
    expect(rendered?.text).toContain('d-i netcfg/hostname string node-525400123456\n');
    expect(await renderMachineAnswerFile(templates, input('debian-preseed'), 'user-data')).toBeUndefined();
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
