import { type DhcpMessage, hasUserClass } from '../protocol/dhcp4/index.js';
import type { Uuid } from '../values/uuid.js';

/** The firmware a netboot client runs, as far as its first boot file is concerned. */
export const FIRMWARES = [
  'bios',
  'uefi-ia32',
  'uefi-x64',
  'uefi-arm64',
  'uefi-http-x64',
  'uefi-http-arm64',
  'unknown',
] as const;
export type Firmware = (typeof FIRMWARES)[number];

/** What option 60 says the client is. */
export type VendorKind = 'pxe' | 'http-client' | 'debian-installer' | 'anaconda' | 'other';

/** What policy needs to know about a DHCP client, read from options 60, 77, 93, 94, 97 and 175. */
export interface ClientClass {
  /** A PXE, UEFI HTTP or iPXE client whose PXE options are well formed: it gets boot information. */
  readonly netboot: boolean;
  readonly firmware: Firmware;
  /** iPXE is running: it gets the script URL, never the iPXE binary again (protocol-digest §3). */
  readonly ipxe: boolean;
  readonly vendor: VendorKind;
  /** Option 97, read in SMBIOS byte order (the UUID dmidecode prints). */
  readonly uuid?: Uuid;
  /** The first entry of option 93. */
  readonly arch?: number;
  /** Why the client is not netboot, or why its firmware is unknown: for the event log and debug logs. */
  readonly reason?: string;
}

// RFC 4578 §2.1 and the IANA "Processor Architecture Types" registry (protocol-digest §2.2). 7 and 9 are both x64
// UEFI: the registry and RFC 4578's errata disagree with the original RFC text, and firmware sends either. 10 (ARM
// 32-bit UEFI) is a known architecture fleetboot has no boot file kind for.
export function firmwareOfArch(arch: number): Firmware {
  switch (arch) {
    case 0:
      return 'bios';
    case 6:
      return 'uefi-ia32';
    case 7:
    case 9:
      return 'uefi-x64';
    case 11:
      return 'uefi-arm64';
    case 16:
      return 'uefi-http-x64';
    case 19:
      return 'uefi-http-arm64';
    default:
      return 'unknown';
  }
}

// Option 60 is matched on its prefix (protocol-digest §1.5, §2.1): `PXEClient:Arch:…` (PXE ROMs, EDK2, iPXE),
// `HTTPClient:Arch:…` (EDK2 HTTP boot), `d-i` (debian-installer's netcfg), `anaconda-Linux …` (Anaconda). udhcpc
// (`udhcp 1.35.0`), dhcpcd (`dhcpcd-9.4.1:Linux…`) and everything else are ordinary DHCP clients: 'other'.
export function vendorKindOf(vendorClass: string | undefined): VendorKind {
  if (vendorClass === undefined) return 'other';
  if (vendorClass.startsWith('PXEClient')) return 'pxe';
  if (vendorClass.startsWith('HTTPClient')) return 'http-client';
  if (vendorClass === 'd-i' || vendorClass.startsWith('d-i:')) return 'debian-installer';
  if (vendorClass.startsWith('anaconda')) return 'anaconda';
  return 'other';
}

// protocol-digest §3: iPXE sends user class `iPXE` (a bare string, not RFC 3004) and always option 175.
export function isIpxe(request: DhcpMessage): boolean {
  const userClass = request.options.userClass;
  return (
    request.options.ipxeEncapsulated !== undefined ||
    (userClass !== undefined && hasUserClass(userClass, 'iPXE'))
  );
}

/**
 * The client says it netboots (option 60 PXEClient or HTTPClient, or iPXE), whether or not its PXE options turn out
 * to be well formed: such a client that is not `netboot` has a problem worth recording (catalogue D21).
 */
export function claimsNetboot(client: Pick<ClientClass, 'vendor' | 'ipxe'>): boolean {
  return client.vendor === 'pxe' || client.vendor === 'http-client' || client.ipxe;
}

const OPTION_ARCH = 93;
const OPTION_NIC = 94;
const OPTION_MACHINE_ID = 97;

/**
 * Classifies a DHCP client. Netboot means: it says it is PXEClient, HTTPClient or iPXE, and its PXE options are
 * well formed. Catalogue D21 (Tinkerbell Smee's IsNetbootClient): option 93 missing or not a list of 16-bit values,
 * option 94 not 3 bytes, option 97 neither empty nor type 0 + 16 bytes ⇒ an ordinary client, which still gets an
 * address but no boot information. The codec leaves such options out of `options` and lists them in
 * `rejectedOptions`, so a rejected 93/94/97 is what this looks for.
 */
export function classifyClient(request: DhcpMessage): ClientClass {
  const vendorClass = request.options.vendorClassIdentifier;
  const vendor = vendorKindOf(vendorClass);
  const ipxe = isIpxe(request);
  const archs = request.options.clientSystemArchitectures;
  const arch = archs?.[0];
  const firmware = arch === undefined ? 'unknown' : firmwareOfArch(arch);
  const uuid = request.options.clientMachineId ?? undefined;
  const base = {
    firmware,
    ipxe,
    vendor,
    ...(uuid === undefined ? {} : { uuid }),
    ...(arch === undefined ? {} : { arch }),
  };
  if (!claimsNetboot({ vendor, ipxe }))
    return { ...base, netboot: false, reason: 'not a PXE, HTTP boot or iPXE client' };
  const rejected = new Set(request.rejectedOptions.map((o) => o.code));
  if (rejected.has(OPTION_ARCH)) return { ...base, netboot: false, reason: 'malformed option 93' };
  if (arch === undefined) return { ...base, netboot: false, reason: 'no option 93' };
  if (rejected.has(OPTION_NIC)) return { ...base, netboot: false, reason: 'malformed option 94' };
  if (rejected.has(OPTION_MACHINE_ID)) return { ...base, netboot: false, reason: 'malformed option 97' };
  // D22: an architecture we have no boot file kind for is still a netboot client; boot-file.ts says why it gets
  // nothing.
  if (firmware === 'unknown') return { ...base, netboot: true, reason: `unsupported architecture ${arch}` };
  return { ...base, netboot: true };
}
