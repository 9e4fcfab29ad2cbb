import { describe, expect, it } from 'vitest';
import type { BootClient, BootPlan } from '../../src/boot/boot-plan.js';
import { answerConfigName } from '../../src/boot/config-files.js';
import { parseConfigName } from '../../src/boot/config-name.js';
import { isEmptyBootTable, planFromTable, type BootTable } from '../../src/boot/config-table.js';
import { parseIpv4 } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { parseUuid } from '../../src/values/uuid.js';

const known: BootClient = {
  address: parseIpv4('192.0.2.91'), // C000025B
  mac: parseMac('52:54:00:12:34:56'),
  uuid: parseUuid('4c4c4544-0035-5910-8048-b7c04f4e3732'),
};
const anonymous: BootClient = { address: parseIpv4('192.0.2.91') };
const plan: BootPlan = {
  title: 'fleetboot: local',
  entries: [{ kind: 'local', id: 'local', label: 'Boot from local disk' }],
  timeoutSeconds: 0,
};

function answer(path: string, client: BootClient, p: BootPlan | undefined) {
  const name = parseConfigName(path);
  if (name === undefined) throw new Error(`${path} is no config name`);
  const a = answerConfigName(name, client, p);
  return a.kind === 'file' ? (a.text.includes('LOCALBOOT') ? 'pxelinux' : 'grub') : `not found: ${a.reason}`;
}

describe('answerConfigName: the client’s own plan at the first name that can be its own', () => {
  it.each([
    // pxelinux's search for a client DHCP told us about (digest §5.1): the UUID name answers first.
    ['pxelinux.cfg/44454c4c-3500-1059-8048-b7c04f4e3732', known, 'pxelinux'],
    ['pxelinux.cfg/01-52-54-00-12-34-56', known, 'pxelinux'],
    ['pxelinux.cfg/C000025B', known, 'pxelinux'],
    ['pxelinux.cfg/C00002', known, 'pxelinux'],
    ['pxelinux.cfg/default', known, 'pxelinux'],
    ['grub/grub.cfg', known, 'grub'],
    ['grub/grub.cfg-01-52-54-00-12-34-56', known, 'grub'],
    ['grub/grub.cfg-44454c4c-3500-1059-8048-b7c04f4e3732', known, 'grub'],
    // Names of other machines: not found, so nobody reads another machine's file.
    ['pxelinux.cfg/01-52-54-00-12-34-57', known, 'not found: not the MAC of the client'],
    // The SMBIOS spelling is not the name pxelinux asks for: it would be another machine's.
    ['pxelinux.cfg/4c4c4544-0035-5910-8048-b7c04f4e3732', known, 'not found: not the UUID of the client'],
    ['pxelinux.cfg/C000025C', known, 'not found: not the address of the client'],
    ['pxelinux.cfg/C1', known, 'not found: not the address of the client'],
    ['grub/grub.cfg-01-52-54-00-12-34-57', known, 'not found: not the MAC of the client'],
    // A client without a lease of ours is known by its address only.
    [
      'pxelinux.cfg/44454c4c-3500-1059-8048-b7c04f4e3732',
      anonymous,
      'not found: the UUID of the client is not known',
    ],
    ['pxelinux.cfg/01-52-54-00-12-34-56', anonymous, 'not found: the MAC of the client is not known'],
    ['pxelinux.cfg/C000025B', anonymous, 'pxelinux'],
    ['grub/grub.cfg', anonymous, 'grub'],
  ] as const)('%s', (path, client, expected) => {
    expect(answer(path, client, plan)).toBe(expected);
  });

  it('answers not found when there is no plan for the client', () => {
    expect(answer('pxelinux.cfg/default', known, undefined)).toBe('not found: no boot plan for this client');
  });
});

describe('planFromTable: the stand-in for decideBoot', () => {
  const table: BootTable = {
    default: { action: 'local' },
    machines: [
      {
        mac: parseMac('52:54:00:12:34:56'),
        action: 'linux',
        label: 'Install',
        kernel: 'linux',
        initrd: ['initrd.gz'],
        append: 'auto=true',
      },
    ],
  };

  it('gives a machine its own entry, titled with its MAC', () => {
    expect(planFromTable(table, known)).toEqual({
      title: 'fleetboot: 52:54:00:12:34:56: Install',
      entries: [
        {
          kind: 'linux',
          id: 'linux',
          label: 'Install',
          kernel: 'linux',
          initrds: ['initrd.gz'],
          args: 'auto=true',
        },
      ],
      timeoutSeconds: 0,
    });
  });

  it('gives every other client the default, titled with what is known of it', () => {
    expect(planFromTable(table, anonymous)).toEqual({
      title: 'fleetboot: 192.0.2.91: Boot from local disk',
      entries: [{ kind: 'local', id: 'local', label: 'Boot from local disk' }],
      timeoutSeconds: 0,
    });
  });

  it('gives nothing without a default, and is empty without any entry', () => {
    const noDefault = { machines: table.machines };
    expect(planFromTable(noDefault, anonymous)).toBeUndefined();
    expect(isEmptyBootTable(noDefault)).toBe(false);
    expect(isEmptyBootTable({ machines: [] })).toBe(true);
  });
});
