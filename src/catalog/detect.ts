// Which installer a source holds, read from the files that say so (pure: the caller lists and reads them).
// Debian's netboot tree (installation-guide-amd64 §4.5), Debian and Ubuntu ISOs (`.disk/info`), RHEL-like trees
// and ISOs (`.treeinfo`, `images/pxeboot/`; protocol-digest §7).
import { CatalogError } from './errors.js';
import { isOneOf } from '../values/guards.js';
import { OS_ARCHES, type LoaderKind, type OsArch, type OsFamily } from '../inventory/os-image.js';

/** The files whose presence decides the layout, relative to the source's root. */
export const PROBE_PATHS = [
  'debian-installer/amd64/linux',
  'debian-installer/arm64/linux',
  'install.amd/vmlinuz',
  'install.a64/vmlinuz',
  'casper/vmlinuz',
  'images/pxeboot/vmlinuz',
] as const;

/** The small text files that name the release and architecture. */
export const INFO_PATHS = ['version.info', '.disk/info', '.treeinfo'] as const;
export type InfoPath = (typeof INFO_PATHS)[number];

export interface SourceProbe {
  /** The source as the operator named it, for messages. */
  readonly source: string;
  readonly present: ReadonlySet<string>;
  readonly info: Readonly<Partial<Record<InfoPath, string>>>;
}

export interface LayoutOverrides {
  readonly family?: OsFamily;
  readonly release?: string;
  readonly arch?: OsArch;
}

/** One file to take from the source: `from` relative to its root, `to` relative to the image directory. */
export interface PlannedFile {
  readonly from: string;
  readonly to: string;
  /** Optional files (a font) are skipped when the source lacks them. */
  readonly optional?: boolean;
}

/** What an import takes from a source and how the image is laid out. */
export interface ImageLayout {
  readonly family: OsFamily;
  /** For the default image name: `debian`, `ubuntu`, `rocky`, `almalinux`, `rhel`… */
  readonly distribution: string;
  readonly release: string;
  readonly arch: OsArch;
  /** Image-relative paths. */
  readonly kernel: string;
  readonly initrds: readonly string[];
  readonly files: readonly PlannedFile[];
  /** Loaders the image brings, image-relative. */
  readonly loaders: Readonly<Partial<Record<LoaderKind, string>>>;
  /**
   * Where the image's signed GRUB reads `grub.cfg`, relative to the boot root: its embedded prefix, absolute from
   * the TFTP root whatever directory GRUB itself was loaded from (protocol-digest §5.3, §6).
   */
  readonly grubPrefix?: string;
  /**
   * What the installer needs beyond kernel and initrd: `iso` (Ubuntu's casper fetches the ISO named by `url=`), `tree`
   * (anaconda's `inst.repo=` install tree), or nothing (Debian's netboot installer uses a mirror).
   */
  readonly installSource?: 'iso' | 'tree';
}

export class LayoutError extends CatalogError {
  override readonly name = 'LayoutError';
}

const NETBOOT_FILES: Readonly<Record<OsArch, { shim: string; grub: string }>> = {
  amd64: { shim: 'bootnetx64.efi', grub: 'grubx64.efi' },
  arm64: { shim: 'bootnetaa64.efi', grub: 'grubaa64.efi' },
};

/** Reads the layout of a source from its probe; throws a LayoutError that names the source and what was expected. */
export function detectLayout(probe: SourceProbe, overrides: LayoutOverrides = {}): ImageLayout {
  const candidates = [debianNetboot, debianIso, ubuntuIso, rhelTree]
    .map((read) => read(probe, overrides))
    .filter((layout): layout is ImageLayout => layout !== undefined)
    .filter((layout) => overrides.family === undefined || layout.family === overrides.family);
  const layout = candidates[0];
  if (layout === undefined) {
    const family = overrides.family === undefined ? '' : ` for family ${overrides.family}`;
    throw new LayoutError(
      `no kernel found under ${probe.source}${family}: expected debian-installer/<arch>/linux (a Debian netboot ` +
        'tree), install.amd/vmlinuz, casper/vmlinuz or images/pxeboot/vmlinuz',
    );
  }
  return layout;
}

function debianNetboot(probe: SourceProbe, overrides: LayoutOverrides): ImageLayout | undefined {
  const arches = OS_ARCHES.filter((arch) => probe.present.has(`debian-installer/${arch}/linux`));
  const arch = overrides.arch ?? arches[0];
  if (arch === undefined || !arches.includes(arch)) return undefined;
  const dir = `debian-installer/${arch}`;
  const { shim, grub } = NETBOOT_FILES[arch];
  const release = overrides.release ?? /Debian version:\s*(\d+)/.exec(probe.info['version.info'] ?? '')?.[1];
  return {
    family: 'debian',
    distribution: 'debian',
    release: release ?? missing(probe, 'release', 'version.info'),
    arch,
    kernel: 'linux',
    initrds: ['initrd.gz'],
    // Flat in the image directory: the kernel line stays short, and the shim loads GRUB from its own directory.
    // GRUB's modules are left out (the signed image has what d-i needs built in, and Secure Boot refuses unsigned
    // modules), and so is the tree's grub.cfg and pxelinux menu: fleetboot renders each client's own config.
    files: [
      { from: `${dir}/linux`, to: 'linux' },
      { from: `${dir}/initrd.gz`, to: 'initrd.gz' },
      { from: `${dir}/${shim}`, to: shim, optional: true },
      { from: `${dir}/${grub}`, to: grub, optional: true },
      { from: `${dir}/grub/font.pf2`, to: 'grub/font.pf2', optional: true },
    ],
    loaders:
      arch === 'amd64' ? { 'shim-x64': shim, 'grub-x64': grub } : { 'shim-arm64': shim, 'grub-arm64': grub },
    grubPrefix: `${dir}/grub`,
  };
}

function debianIso(probe: SourceProbe, overrides: LayoutOverrides): ImageLayout | undefined {
  const dirs = { amd64: 'install.amd', arm64: 'install.a64' } as const;
  const found = OS_ARCHES.filter((arch) => probe.present.has(`${dirs[arch]}/vmlinuz`));
  const arch = overrides.arch ?? found[0];
  if (arch === undefined || !found.includes(arch)) return undefined;
  const info = probe.info['.disk/info'] ?? '';
  const release = overrides.release ?? /^Debian GNU\/Linux (\d+(?:\.\d+)*)/.exec(info)?.[1];
  return {
    family: 'debian',
    distribution: 'debian',
    release: release ?? missing(probe, 'release', '.disk/info'),
    arch,
    kernel: 'vmlinuz',
    initrds: ['initrd.gz'],
    files: [
      { from: `${dirs[arch]}/vmlinuz`, to: 'vmlinuz' },
      { from: `${dirs[arch]}/initrd.gz`, to: 'initrd.gz' },
    ],
    loaders: {},
  };
}

function ubuntuIso(probe: SourceProbe, overrides: LayoutOverrides): ImageLayout | undefined {
  if (!probe.present.has('casper/vmlinuz')) return undefined;
  const info = probe.info['.disk/info'] ?? '';
  const release = overrides.release ?? /^Ubuntu(?:-Server)? (\d+\.\d+(?:\.\d+)?)/.exec(info)?.[1];
  const arch = overrides.arch ?? archOf(/\b(amd64|arm64)\b/.exec(info)?.[1]);
  return {
    family: 'ubuntu',
    distribution: 'ubuntu',
    release: release ?? missing(probe, 'release', '.disk/info'),
    arch: arch ?? missing(probe, 'arch', '.disk/info'),
    kernel: 'vmlinuz',
    initrds: ['initrd'],
    files: [
      { from: 'casper/vmlinuz', to: 'vmlinuz' },
      { from: 'casper/initrd', to: 'initrd' },
    ],
    loaders: {},
    installSource: 'iso',
  };
}

function rhelTree(probe: SourceProbe, overrides: LayoutOverrides): ImageLayout | undefined {
  if (!probe.present.has('images/pxeboot/vmlinuz')) return undefined;
  const treeinfo = parseIni(probe.info['.treeinfo'] ?? '');
  const release =
    overrides.release ?? treeinfo.get('release')?.get('version') ?? treeinfo.get('general')?.get('version');
  const arch =
    overrides.arch ?? archOf(treeinfo.get('tree')?.get('arch') ?? treeinfo.get('general')?.get('arch'));
  const short = treeinfo.get('release')?.get('short') ?? treeinfo.get('general')?.get('family');
  return {
    family: 'rhel',
    distribution: short === undefined ? 'rhel' : short.toLowerCase().replace(/\s+/g, '-'),
    release: release ?? missing(probe, 'release', '.treeinfo'),
    arch: arch ?? missing(probe, 'arch', '.treeinfo'),
    kernel: 'vmlinuz',
    initrds: ['initrd.img'],
    files: [
      { from: 'images/pxeboot/vmlinuz', to: 'vmlinuz' },
      { from: 'images/pxeboot/initrd.img', to: 'initrd.img' },
    ],
    loaders: {},
    installSource: 'tree',
  };
}

/** Debian and Ubuntu say amd64/arm64, RHEL says x86_64/aarch64. */
export function archOf(name: string | undefined): OsArch | undefined {
  if (name === undefined) return undefined;
  const normal = name.trim().toLowerCase();
  if (normal === 'x86_64') return 'amd64';
  if (normal === 'aarch64') return 'arm64';
  return isOneOf(OS_ARCHES, normal) ? normal : undefined;
}

function missing(probe: SourceProbe, what: 'release' | 'arch', file: string): never {
  throw new LayoutError(
    `cannot tell the ${what} of ${probe.source}: ${file} is missing or does not name it; pass --${what}`,
  );
}

/** `.treeinfo` is an INI file (productmd): `[section]` then `key = value`; `#`/`;` comments. Keys lower-cased. */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set((section[1] ?? '').trim().toLowerCase(), current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current !== undefined) {
      current.set(line.slice(0, eq).trim().toLowerCase(), line.slice(eq + 1).trim());
    }
  }
  return sections;
}
