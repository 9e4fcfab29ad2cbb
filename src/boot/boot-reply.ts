import {
  type DhcpOptions,
  encodePxeVendorOptions,
  PXE_DISCOVERY_USE_BOOTFILE,
} from '../protocol/dhcp4/index.js';
import { type Ipv4, IPV4_ANY } from '../values/ipv4.js';
import type { BootFileChoice } from './boot-file.js';
import type { ClientClass } from './classify.js';

/** The boot part of an OFFER or ACK: header fields, options, and which options go out even if not requested. */
export interface BootReplyFields {
  readonly nextServerAddress: Ipv4; // siaddr
  readonly bootFile: string; // file
  readonly options: DhcpOptions;
  /** Option codes to send even when the client's option 55 does not list them. */
  readonly forced: readonly number[];
}

const OPTION_VENDOR_SPECIFIC = 43;
const OPTION_VENDOR_CLASS = 60;
const OPTION_TFTP_SERVER = 66;
const OPTION_BOOT_FILE = 67;

/** No boot information: siaddr 0, `file` empty, no PXE options. */
export const NO_BOOT_FIELDS: BootReplyFields = {
  nextServerAddress: IPV4_ANY,
  bootFile: '',
  options: {},
  forced: [],
};

// PXE 2.1 option 43 with only PXE_DISCOVERY_CONTROL = 8: "download the bootfile in this offer, no menu, no boot
// server discovery" (protocol-digest §2.3; dnsmasq pxe_opts() sends the same when there is no menu).
const PXE_USE_BOOTFILE = encodePxeVendorOptions({ discoveryControl: PXE_DISCOVERY_USE_BOOTFILE });

/**
 * How the boot file goes into a reply (protocol-digest §2.4, §2.6, §2.7, §10.2):
 * - always `siaddr` = the server and the BOOTP `file` field = the file: EDK2 and pxelinux take the TFTP server from
 *   siaddr (never from option 66), and Debian's signed shim on OVMF reads `file` and ignores option 67;
 * - options 66 and 67 only when the client lists them in option 55 (RFC 2132 §9.4/9.5 make them stand-ins for
 *   the header fields);
 * - a PXEClient gets option 60 `PXEClient` and option 43 = discovery control 8: EDK2 only treats an offer with
 *   "PXEClient" as a PXE offer, and without option 43 it would class it "BINL" and go and ask port 4011 for the
 *   boot file (protocol-digest §2.4 recipe (b), priority 1 "PXE10"); iPXE takes siaddr + file as its boot
 *   information, so it needs no ProxyDHCP round either;
 * - a UEFI HTTP client gets option 60 `HTTPClient` and the URL in `file`: EDK2 discards an HTTP offer without both
 *   (protocol-digest §2.7);
 * - option 97 is echoed to netboot clients that ask for it (dnsmasq pxe_misc).
 * Nothing of this goes to a client that gets no boot file: a bare "PXEClient" would send EDK2 to port 4011.
 */
export function bootReplyFields(
  choice: BootFileChoice,
  client: ClientClass,
  parameterRequestList: readonly number[] | undefined,
): BootReplyFields {
  if (choice.kind === 'none') return NO_BOOT_FIELDS;
  const asked = (code: number) => parameterRequestList?.includes(code) ?? false;
  const options: { -readonly [K in keyof DhcpOptions]: DhcpOptions[K] } = {};
  const forced: number[] = [];
  if (asked(OPTION_BOOT_FILE)) options.bootFileName = choice.bootFileName;
  if (asked(OPTION_TFTP_SERVER) && choice.tftpServerName !== undefined) {
    options.tftpServerName = choice.tftpServerName;
  }
  switch (client.vendor) {
    case 'pxe':
      options.vendorClassIdentifier = 'PXEClient';
      options.vendorSpecific = PXE_USE_BOOTFILE;
      forced.push(OPTION_VENDOR_CLASS, OPTION_VENDOR_SPECIFIC);
      break;
    case 'http-client':
      options.vendorClassIdentifier = 'HTTPClient';
      forced.push(OPTION_VENDOR_CLASS);
      break;
    case 'debian-installer':
    case 'anaconda':
    case 'other':
      break;
  }
  if (client.uuid !== undefined) options.clientMachineId = client.uuid;
  return { nextServerAddress: choice.serverAddress, bootFile: choice.file, options, forced };
}
