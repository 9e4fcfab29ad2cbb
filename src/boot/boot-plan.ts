import type { Ipv4 } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import type { Uuid } from '../values/uuid.js';

/**
 * Who asked for a boot config, as far as fleetboot knows: the address the request came from, and what DHCP
 * learned about the client holding that address (its lease's MAC, the machine's SMBIOS UUID and architecture).
 * A client fleetboot has no lease for (another DHCP server's, in proxy mode) is known by its address alone.
 */
export interface BootClient {
  readonly address: Ipv4;
  readonly mac?: Mac;
  readonly uuid?: Uuid;
  /** DHCP option 93 as first seen (RFC 4578 §2.1). */
  readonly arch?: number;
  /** fleetboot's address as the client reached it (siaddr of its DHCP answer): where its HTTP URLs point. */
  readonly serverAddress?: Ipv4;
}

/** Load a Linux kernel (and initrds) with a command line. Paths are relative to the TFTP root. */
export interface LinuxEntry {
  readonly kind: 'linux';
  /** Name of the entry inside the generated file (LABEL, menuentry --id): `[a-z0-9-]`, unique in the plan. */
  readonly id: string;
  /** What a person at the console reads. */
  readonly label: string;
  readonly kernel: string;
  readonly initrds: readonly string[];
  /** The kernel command line, as one line. */
  readonly args: string;
}

/** Leave the network boot: pxelinux `LOCALBOOT 0` (back to the BIOS), GRUB `exit` (back to the UEFI boot order). */
export interface LocalEntry {
  readonly kind: 'local';
  readonly id: string;
  readonly label: string;
}

export type BootEntry = LinuxEntry | LocalEntry;

/**
 * What one client is to boot, before it is written in any loader's language: rendered as a pxelinux config, as
 * GRUB's grub.cfg, and (issue 5) as an iPXE script, so every loader of one machine boots the same thing.
 * Provisioning's decideBoot(client, machine, profile) returns this; until then a table in the configuration does
 * (config-table.ts).
 */
export interface BootPlan {
  /** One line printed on the console before anything is booted: what fleetboot decided, for whoever watches. */
  readonly title: string;
  /** Never empty; the first is booted when the timeout ends. */
  readonly entries: readonly [BootEntry, ...BootEntry[]];
  /** 0: boot the first entry at once, without a prompt. */
  readonly timeoutSeconds: number;
  /**
   * The plan holds a machine's install token (its answer-file URL): serve it only to that machine's boot address
   * (catalogue S04; issue 5 item 6: TFTP has no authentication).
   */
  readonly confidential?: boolean;
}
