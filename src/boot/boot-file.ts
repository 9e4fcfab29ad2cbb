import { FILE_FIELD_TEXT, isHttpUrl, NEXT_SERVER_TOKEN } from '../values/boot-file-entry.js';
import type { Ipv4 } from '../values/ipv4.js';
import type { ClientClass, Firmware } from './classify.js';

/** Firmware kinds that have a boot file entry. */
export type BootFileKind = Exclude<Firmware, 'unknown'>;

/**
 * The first file each kind of client gets: a TFTP path for PXE firmware, a URL for UEFI HTTP boot and for iPXE.
 * `{next-server}` in an entry is replaced by the server address of the reply (siaddr), so one table serves every
 * interface and relay. A missing entry means "no boot file" for that kind (the client still gets an address).
 */
export type BootFileTable = { readonly [K in BootFileKind]?: string } & {
  /** The HTTP(S) URL of the iPXE script: what an iPXE client gets instead of any binary. */
  readonly ipxe?: string;
};

export { NEXT_SERVER_TOKEN };

/**
 * The table a client's reply is chosen from: the defaults, overridden entry by entry by `dhcp.bootFiles`, and
 * later by a machine's profile (issue 5), each layer a partial table over the one before.
 */
export function layerBootFileTables(...layers: readonly BootFileTable[]): BootFileTable {
  return Object.assign({}, ...layers) as BootFileTable;
}

/**
 * The default table (design.md §4, protocol-digest §0 and §9.3): BIOS and UEFI x64 chainload iPXE from Debian's
 * `ipxe` package (`undionly.kpxe`, `snponly.efi`: the firmware's own NIC driver, the most compatible build; Secure
 * Boot must be off, the operator switches to `shimx64.efi` otherwise), arm64 gets Debian's signed shim for GRUB
 * (no arm64 iPXE is packaged), UEFI HTTP boot gets the same loaders over HTTP (`/boot/<path>` is the TFTP path:
 * the catalog installs snponly.efi at the top of the boot root), and iPXE gets its script over HTTP.
 * `httpBase` is where fleetboot's HTTP server is reached from the clients, without a trailing slash.
 */
export function defaultBootFileTable(httpBase = `http://${NEXT_SERVER_TOKEN}:8080`): BootFileTable {
  return {
    bios: 'undionly.kpxe',
    'uefi-x64': 'snponly.efi',
    'uefi-arm64': 'bootnetaa64.efi',
    'uefi-http-x64': `${httpBase}/boot/snponly.efi`,
    'uefi-http-arm64': `${httpBase}/boot/arm64/bootnetaa64.efi`,
    ipxe: `${httpBase}/boot.ipxe`,
  };
}

/** What a netboot client is told to load. */
export type BootFileChoice =
  | {
      readonly kind: 'file';
      /** For the BOOTP `file` header field: a TFTP path or a URL. */
      readonly file: string;
      /** siaddr: the TFTP server (EDK2 and pxelinux take the server from here, never from option 66). */
      readonly serverAddress: Ipv4;
      /** How the client fetches it. */
      readonly via: 'tftp' | 'http';
      /** Option 66, for clients that ask for it: the TFTP server as a dotted quad. */
      readonly tftpServerName?: string;
      /** Option 67, for clients that ask for it: the same as `file`. */
      readonly bootFileName: string;
    }
  | { readonly kind: 'none'; readonly reason: string };

/**
 * Chooses the boot file (protocol-digest §0, §3, §9.3). iPXE gets the script URL, whatever its firmware: giving it
 * `undionly.kpxe` or `snponly.efi` again would chainload forever (ipxe.org/howto/chainloading). Unknown
 * architectures get nothing, with the reason (catalogue D22).
 */
export function chooseBootFile(
  client: ClientClass,
  table: BootFileTable,
  serverAddress: Ipv4,
): BootFileChoice {
  if (!client.netboot) return none(client.reason ?? 'not a netboot client');
  if (client.ipxe) {
    const script = table.ipxe;
    if (script === undefined) {
      return none('no iPXE script URL configured (iPXE never gets an iPXE binary again)');
    }
    return file(script, serverAddress, isHttpUrl(script) ? 'http' : 'tftp');
  }
  if (client.firmware === 'unknown') {
    return none(client.reason ?? `unsupported architecture ${client.arch ?? 'none'}`);
  }
  const entry = table[client.firmware];
  if (entry === undefined) return none(`no boot file configured for ${client.firmware}`);
  return chooseForFirmware(client.firmware, entry, serverAddress);
}

function chooseForFirmware(firmware: BootFileKind, entry: string, serverAddress: Ipv4): BootFileChoice {
  switch (firmware) {
    case 'uefi-http-x64':
    case 'uefi-http-arm64':
      // protocol-digest §2.7: EDK2 discards an HTTP offer without a boot URI.
      if (!isHttpUrl(entry)) return none(`the ${firmware} boot file is not an HTTP(S) URL: ${entry}`);
      return file(entry, serverAddress, 'http');
    case 'bios':
    case 'uefi-ia32':
    case 'uefi-x64':
    case 'uefi-arm64':
      return file(entry, serverAddress, isHttpUrl(entry) ? 'http' : 'tftp');
  }
}

function file(entry: string, serverAddress: Ipv4, via: 'tftp' | 'http'): BootFileChoice {
  const path = entry.split(NEXT_SERVER_TOKEN).join(serverAddress);
  if (path.length > FILE_FIELD_TEXT || /[^\x20-\x7e]/.test(path)) {
    return none(`boot file name does not fit the 127 printable characters of the file field: ${path}`);
  }
  return {
    kind: 'file',
    file: path,
    serverAddress,
    via,
    bootFileName: path,
    ...(via === 'tftp' ? { tftpServerName: serverAddress } : {}),
  };
}

function none(reason: string): BootFileChoice {
  return { kind: 'none', reason };
}
