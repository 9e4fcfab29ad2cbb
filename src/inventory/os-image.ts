import type { EpochMs } from './time.js';

/** The installer families fleetboot knows how to boot and answer (design.md §3). */
export const OS_FAMILIES = ['debian', 'ubuntu', 'rhel'] as const;
export type OsFamily = (typeof OS_FAMILIES)[number];

export const OS_ARCHES = ['amd64', 'arm64'] as const;
export type OsArch = (typeof OS_ARCHES)[number];

/**
 * Boot loaders an image can bring, by the firmware that runs them. Debian's netboot tree brings the signed shim and
 * GRUB; the host's `pxelinux`/`syslinux-common` and `ipxe` packages bring the rest.
 */
export const LOADER_KINDS = [
  'pxelinux', // BIOS: pxelinux.0 (+ ldlinux.c32 and the menu modules beside it)
  'ipxe-bios', // BIOS: undionly.kpxe
  'ipxe-efi-x64', // UEFI x64 without Secure Boot: snponly.efi
  'shim-x64', // UEFI x64 with Secure Boot: the signed shim that loads grubx64.efi
  'grub-x64', // UEFI x64: the signed GRUB (reads $prefix/grub.cfg)
  'shim-arm64',
  'grub-arm64',
] as const;
export type LoaderKind = (typeof LOADER_KINDS)[number];

/** One file of an image, as imported. `path` is relative to the boot root (the TFTP root that HTTP serves as `/boot/`). */
export interface OsImageFile {
  readonly path: string;
  /** Lower-case hex. */
  readonly sha256: string;
  readonly size: number;
}

/**
 * An imported OS installer (issue 5 item 1): what decideBoot needs to boot it and what `os list` shows. Every path
 * is relative to the boot root, so one value serves TFTP (`images/debian-12-amd64/linux`) and HTTP
 * (`/boot/images/debian-12-amd64/linux`).
 */
export interface OsImage {
  /** `[a-z0-9][a-z0-9.-]*`, unique: what a profile's `os` names. */
  readonly name: string;
  readonly family: OsFamily;
  /** `12`, `24.04`, `9.4`. */
  readonly release: string;
  readonly arch: OsArch;
  readonly kernel: string;
  /** In load order; never empty. */
  readonly initrds: readonly string[];
  /**
   * Where the installer fetches the rest from, relative to the boot root, when the image brings it: Ubuntu's live
   * ISO (`url=` of casper), a RHEL-like install tree (`inst.repo=`). Debian's netboot installer uses a mirror.
   */
  readonly installSource?: string;
  readonly loaders: Readonly<Partial<Record<LoaderKind, string>>>;
  /** Every file imported, with its SHA-256. */
  readonly files: readonly OsImageFile[];
  /** What it was imported from: a path, as given. */
  readonly source: string;
  readonly importedAt: EpochMs;
}
