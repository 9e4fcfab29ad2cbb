import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { diagnosticsOf, loadText, problemsOf, scratchDir } from './support.js';

// tftp.bootConfigs: the boot table that stands in for profiles (issue 4 item 3). What the loader accepts is what
// the renderers can write (the same parsers, src/values/boot-text.ts), so a bad value is a config error at
// file:line:column and never a broken file served at boot time.

const dir = scratchDir();
const load = (bootConfigs: object) => loadText(dir, stringify({ tftp: { bootConfigs } })).config.tftp;
const problems = (bootConfigs: object) => problemsOf(dir, stringify({ tftp: { bootConfigs } }));

describe('tftp.bootConfigs', () => {
  it('is empty by default', () => {
    expect(loadText(dir, '').config.tftp.bootConfigs).toEqual({ machines: [] });
  });

  it('comes out as one action per entry, MACs canonical, paths relative to the TFTP root', () => {
    const tftp = load({
      default: { localboot: true },
      machines: [
        {
          mac: '52-54-00-AA-BB-CC',
          label: 'Install Debian 12',
          kernel: '/debian-installer/amd64/linux',
          initrd: ['debian-installer/amd64/initrd.gz'],
          append: 'auto=true priority=critical',
        },
      ],
    });
    expect(tftp.bootConfigs).toEqual({
      default: { action: 'local' },
      machines: [
        {
          action: 'linux',
          mac: '52:54:00:aa:bb:cc',
          label: 'Install Debian 12',
          kernel: 'debian-installer/amd64/linux',
          initrd: ['debian-installer/amd64/initrd.gz'],
          append: 'auto=true priority=critical',
        },
      ],
    });
  });

  it('refuses a line break in the kernel arguments where it is written', () => {
    const [d] = diagnosticsOf(
      dir,
      'tftp:\n  bootConfigs:\n    default:\n      kernel: linux\n      append: "quiet\\nLABEL evil"\n',
    );
    expect(d).toMatchObject({ path: 'tftp.bootConfigs.default.append', origin: { line: 5, column: 15 } });
    expect(d?.message).toMatch(/without control characters/);
  });

  it('refuses quotes in the kernel arguments, which GRUB would pass on escaped, where they are written', () => {
    const [d] = diagnosticsOf(
      dir,
      'tftp:\n  bootConfigs:\n    default:\n      kernel: linux\n      append: \'preseed/late_command="x y"\'\n',
    );
    expect(d).toMatchObject({ path: 'tftp.bootConfigs.default.append', origin: { line: 5, column: 15 } });
    expect(d?.message).toMatch(/without control characters, quotes or backslashes/);
  });

  it.each([
    ['a space in a path', { kernel: 'my kernel' }, 'tftp.bootConfigs.default.kernel'],
    [
      'a comma in an initrd',
      { kernel: 'linux', initrd: ['a.gz,b.gz'] },
      'tftp.bootConfigs.default.initrd[0]',
    ],
    ['a .. segment', { kernel: '../../etc/shadow' }, 'tftp.bootConfigs.default.kernel'],
    ['a carriage return in a label', { kernel: 'linux', label: 'x\ry' }, 'tftp.bootConfigs.default.label'],
    [
      '2049 characters of arguments',
      { kernel: 'linux', append: 'x'.repeat(2049) },
      'tftp.bootConfigs.default.append',
    ],
  ])('refuses %s', (_, entry, path) => {
    expect(problems({ default: entry })[0]?.startsWith(`${path}: `)).toBe(true);
  });

  it('wants a kernel or localboot, not both, not neither', () => {
    expect(problems({ default: {} })).toEqual([
      'tftp.bootConfigs.default.kernel: an entry needs a kernel, or localboot: true',
    ]);
    expect(problems({ default: { localboot: true, kernel: 'linux', append: 'quiet' } })).toEqual([
      'tftp.bootConfigs.default.kernel: kernel has no meaning with localboot: true',
      'tftp.bootConfigs.default.append: append has no meaning with localboot: true',
    ]);
  });

  it('refuses a second entry for one MAC, however it is written', () => {
    expect(
      problems({
        machines: [
          { mac: '52:54:00:aa:bb:cc', localboot: true },
          { mac: '5254.00aa.bbcc', kernel: 'linux' },
        ],
      }),
    ).toEqual([
      'tftp.bootConfigs.machines[1].mac: 52:54:00:aa:bb:cc already has an entry at tftp.bootConfigs.machines[0]',
    ]);
  });
});
