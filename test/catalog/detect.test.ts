import { describe, expect, it } from 'vitest';
import { archOf, detectLayout, parseIni, type SourceProbe } from '../../src/catalog/detect.js';

function probe(present: readonly string[], info: SourceProbe['info'] = {}): SourceProbe {
  return { source: '/src', present: new Set(present), info };
}

describe('detectLayout', () => {
  it('reads a Debian netboot tree: release from version.info, arch from the directory', () => {
    const layout = detectLayout(
      probe(['debian-installer/arm64/linux'], { 'version.info': 'Debian version:  13 (trixie)\n' }),
    );
    expect(layout).toMatchObject({
      family: 'debian',
      release: '13',
      arch: 'arm64',
      loaders: { 'shim-arm64': 'bootnetaa64.efi', 'grub-arm64': 'grubaa64.efi' },
      grubPrefix: 'debian-installer/arm64/grub',
    });
  });

  it('picks the requested arch of a tree that has two, and refuses one it lacks', () => {
    const both = probe(['debian-installer/amd64/linux', 'debian-installer/arm64/linux'], {
      'version.info': 'Debian version:  12 (bookworm)',
    });
    expect(detectLayout(both).arch).toBe('amd64');
    expect(detectLayout(both, { arch: 'arm64' }).arch).toBe('arm64');
    expect(() => detectLayout(probe(['debian-installer/amd64/linux']), { arch: 'arm64' })).toThrow(
      /no kernel found under \/src/,
    );
  });

  it('reads Ubuntu and Debian .disk/info', () => {
    const ubuntu = detectLayout(
      probe(['casper/vmlinuz'], {
        '.disk/info': 'Ubuntu-Server 22.04.4 LTS "Jammy Jellyfish" - Release arm64 (20240220)',
      }),
    );
    expect(ubuntu).toMatchObject({
      family: 'ubuntu',
      release: '22.04.4',
      arch: 'arm64',
      installSource: 'iso',
    });
    const debian = detectLayout(
      probe(['install.a64/vmlinuz'], {
        '.disk/info': 'Debian GNU/Linux 12.8.0 "Bookworm" - Official arm64 NETINST',
      }),
    );
    expect(debian).toMatchObject({ family: 'debian', release: '12.8.0', arch: 'arm64', kernel: 'vmlinuz' });
  });

  it('reads .treeinfo of older (general) and newer (release/tree) productmd', () => {
    const old = detectLayout(
      probe(['images/pxeboot/vmlinuz'], {
        '.treeinfo': '[general]\nfamily = CentOS Stream\nversion = 8\narch = x86_64\n',
      }),
    );
    expect(old).toMatchObject({
      distribution: 'centos-stream',
      release: '8',
      arch: 'amd64',
      installSource: 'tree',
    });
    const alma = detectLayout(
      probe(['images/pxeboot/vmlinuz'], {
        '.treeinfo':
          '# comment\n[release]\nname = AlmaLinux\nshort = AlmaLinux\nversion = 9.5\n[tree]\narch = aarch64\n',
      }),
    );
    expect(alma).toMatchObject({ distribution: 'almalinux', release: '9.5', arch: 'arm64' });
  });

  it('says which file lacked the release', () => {
    expect(() => detectLayout(probe(['casper/vmlinuz']))).toThrow(
      'cannot tell the release of /src: .disk/info is missing or does not name it; pass --release',
    );
  });
});

describe('archOf and parseIni', () => {
  it.each([
    ['x86_64', 'amd64'],
    ['aarch64', 'arm64'],
    [' AMD64 ', 'amd64'],
    ['i386', undefined],
    [undefined, undefined],
  ])('%j is %j', (name, arch) => {
    expect(archOf(name)).toBe(arch);
  });

  it('keeps keys per section and ignores comments and junk', () => {
    const ini = parseIni('orphan = 1\n[A]\nKey = v = w\n; c\n[b]\nx=y\n');
    expect([...ini.keys()]).toEqual(['a', 'b']);
    expect(ini.get('a')?.get('key')).toBe('v = w');
  });
});
