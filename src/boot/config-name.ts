import type { Ipv4 } from '../values/ipv4.js';
import { type Mac, parseMac } from '../values/mac.js';
import { type Uuid, uuidFromBytes } from '../values/uuid.js';

/** The boot loader whose config-file search asked for a name. */
export type ConfigLoader = 'pxelinux' | 'grub';

/**
 * One step of a boot loader's config-file search, read from the requested name (protocol-digest §5.1 and §6):
 * - `uuid`: `pxelinux.cfg/<uuid>`, `grub.cfg-<uuid>`; the UUID as the inventory keeps it (SMBIOS order, the one
 *   `dmidecode` prints), converted from the raw option 97 order the loaders print;
 * - `mac`: `pxelinux.cfg/01-<mac>`, `grub.cfg-01-<mac>` (ARP hardware type 1, Ethernet);
 * - `ip`: `pxelinux.cfg/C0A8025B` and its prefixes down to one digit, `grub.cfg-C0A8025B` likewise; `hex` upper case;
 * - `default`: `pxelinux.cfg/default`;
 * - `client`: GRUB's plain `grub.cfg`, which Debian's signed netboot GRUB reads whatever the client (digest §6),
 *   so it can only be answered per requesting address.
 */
export type ConfigStep =
  | { readonly step: 'uuid'; readonly uuid: Uuid }
  | { readonly step: 'mac'; readonly mac: Mac }
  | { readonly step: 'ip'; readonly hex: string }
  | { readonly step: 'default' }
  | { readonly step: 'client' };

export type ConfigName = ConfigStep & {
  readonly loader: ConfigLoader;
  /** The directory the loader searched in, with its trailing `/` (`''` at the TFTP root). */
  readonly directory: string;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAC = /^01-((?:[0-9a-f]{2}-){5}[0-9a-f]{2})$/i;
const HEX_IP = /^[0-9a-f]{1,8}$/i;

const PXELINUX_DIR = 'pxelinux.cfg/';
const GRUB_CFG = 'grub.cfg';

/**
 * Which config-file search step `path` is, or undefined when it is no such name. `path` is canonical
 * (`resolveTftpPath`: relative, `/` separators). Pure: the name alone, nothing about who asked.
 *
 * pxelinux searches `pxelinux.cfg/` under its own directory (the directory of its boot file, or option 210), so
 * the name is recognised in any directory; GRUB searches `$prefix`, which differs per build (`/grub` in
 * grubnetx64, `/debian-installer/amd64/grub` in the d-i copy), likewise. Hex digits that also spell a name of
 * another step do not occur: a UUID and `01-…` contain dashes, `default` is not hex.
 */
export function parseConfigName(path: string): ConfigName | undefined {
  const slash = path.lastIndexOf('/');
  const directory = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  if (directory === PXELINUX_DIR || directory.endsWith(`/${PXELINUX_DIR}`)) {
    const step = searchStep(base);
    if (step === undefined) return undefined;
    return { loader: 'pxelinux', directory: directory.slice(0, -PXELINUX_DIR.length), ...step };
  }
  if (base === GRUB_CFG) return { loader: 'grub', directory, step: 'client' };
  if (base.startsWith(`${GRUB_CFG}-`)) {
    const step = searchStep(base.slice(GRUB_CFG.length + 1));
    // GRUB has no `grub.cfg-default`: its last step is plain grub.cfg.
    if (step === undefined || step.step === 'default') return undefined;
    return { loader: 'grub', directory, ...step };
  }
  return undefined;
}

function searchStep(name: string): Exclude<ConfigStep, { step: 'client' }> | undefined {
  if (name === 'default') return { step: 'default' };
  if (UUID.test(name)) return { step: 'uuid', uuid: uuidOfLoaderName(name) };
  const mac = MAC.exec(name);
  if (mac) return { step: 'mac', mac: parseMac(mac[1] ?? '') };
  if (HEX_IP.test(name)) return { step: 'ip', hex: name.toUpperCase() };
  return undefined;
}

/**
 * pxelinux (core/fs/pxe/pxe.c) and GRUB (net/bootp.c) print option 97's 16 bytes in wire order as 8-4-4-4-12;
 * the wire carries the first three fields little-endian (EFI GUID layout), so the name has them byte-swapped
 * relative to the SMBIOS UUID the inventory keeps (protocol-digest §2.1: dmidecode `4c4c4544-0035-5910-…` is
 * the file `44454c4c-3500-1059-…`).
 */
export function uuidOfLoaderName(name: string): Uuid {
  const bytes = Uint8Array.from(name.replace(/-/g, '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  return uuidFromBytes(bytes, 'smbios');
}

/** The file name pxelinux and GRUB give a machine's UUID (the inverse of `uuidOfLoaderName`). */
export function loaderNameOfUuid(uuid: Uuid): string {
  // Swapping the first three fields is its own inverse.
  return uuidOfLoaderName(uuid);
}

/** An IPv4 address as pxelinux and GRUB name it: 8 upper-case hex digits (`192.168.2.91` → `C0A8025B`). */
export function hexOfIpv4(address: Ipv4): string {
  return address
    .split('.')
    .map((octet) => Number(octet).toString(16).toUpperCase().padStart(2, '0'))
    .join('');
}
