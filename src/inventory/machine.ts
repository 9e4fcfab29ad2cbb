import type { Brand } from '../values/brand.js';
import type { Ipv4 } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import { parseUuid, type Uuid } from '../values/uuid.js';
import type { EpochMs } from './time.js';

/** The inventory's own id for a machine: a time-ordered (version 7) UUID in lower case, assigned by the store. */
export type MachineId = Brand<string, 'MachineId'>;

/** Parses a machine id given by a user (API path, CLI argument). */
export function parseMachineId(input: string): MachineId {
  return parseUuid(input) as string as MachineId;
}

/** The install lifecycle of design.md §3. The transitions themselves belong to the lifecycle module, not here. */
export const MACHINE_STATES = ['discovered', 'ready', 'queued', 'installing', 'installed', 'failed'] as const;
export type MachineState = (typeof MACHINE_STATES)[number];

/**
 * The states in which a machine carries an install mark, and the only ones: the mark is what lets an installer
 * run (reliability-catalogue P9, S07), so it exists exactly from "mark install" until the install ends.
 */
export const MARKED_STATES: readonly MachineState[] = ['queued', 'installing'];

/**
 * The explicit, one-shot, expiring permission to install a machine (catalogue S07). Only a hash of the install
 * token is kept: the token itself goes into the answer-file URL once and is never stored.
 */
export interface InstallMark {
  /** Who marked it (API user or CLI actor), for the audit trail. */
  readonly by: string;
  readonly at: EpochMs;
  readonly expiresAt: EpochMs;
  /** Hash of the per-install token (hex); unique across machines. */
  readonly tokenHash: string;
  /**
   * The state the machine was marked from, so that withdrawing a mark before the installer started (cancel, expiry
   * while queued) puts it back there: a canceled reinstall leaves an `installed` machine `installed`, and a plain
   * install mark can then not wipe it (catalogue S07). Absent on marks made before it was recorded: `ready`.
   */
  readonly from?: MarkOrigin;
}

/** The states a mark can be made from (inventory/lifecycle.ts). */
export const MARK_ORIGINS = ['ready', 'installed', 'failed'] as const;
export type MarkOrigin = (typeof MARK_ORIGINS)[number];

/** Operator-assigned labels (`rack: r12`), used by rule selectors and list filters. */
export type Labels = Readonly<Record<string, string>>;

/** A machine in the inventory (design.md §3). Absent values are `null`, so a machine reads back exactly as written. */
export interface Machine {
  readonly id: MachineId;
  /** The MACs of its interfaces, canonical; the first is the one fleetboot first saw it on. Never empty. */
  readonly macs: readonly Mac[];
  /** SMBIOS system UUID (PXE option 97). Not unique: some firmware ships the same UUID on every board. */
  readonly uuid: Uuid | null;
  /** Client system architecture, DHCP option 93 (RFC 4578 §2.1): 0 BIOS, 7/9 UEFI x64, 11 arm64, 16 HTTP… */
  readonly arch: number | null;
  /** DHCP option 60 as first seen, e.g. `PXEClient:Arch:00007:UNDI:003016`. */
  readonly vendorClass: string | null;
  readonly hostname: string | null;
  readonly labels: Labels;
  /** A fixed address the DHCP server always gives this machine; unique across the inventory. */
  readonly reservedIp: Ipv4 | null;
  /** Name of the profile (config) it installs with. */
  readonly profile: string | null;
  readonly state: MachineState;
  /** Present exactly while the state is one of MARKED_STATES. */
  readonly installMark: InstallMark | null;
  /** Incremented by every change; the token of optimistic concurrency. */
  readonly version: number;
  readonly createdAt: EpochMs;
  readonly updatedAt: EpochMs;
}
