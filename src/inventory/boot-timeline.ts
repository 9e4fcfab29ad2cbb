import type { MachineEvent } from './event.js';
import type { JsonObject } from './json.js';

// A machine's boot as the steps an operator follows it by (issue 6 item 4; the course shows it as a packet
// timeline): DHCP's four messages (RFC 2131 §3.1), the first loader over TFTP or HTTP, the config lookups that
// follow (pxelinux.cfg/…, grub.cfg, the iPXE script), the installer's kernel and initrd, its answer file and its
// callbacks. Pure: read from the events the DHCP, TFTP, HTTP and installer paths append (dhcp/record.ts,
// tftp-timeline.ts, provision/http-boot.ts, provision/http-boot-scripts.ts, inventory/lifecycle.ts).

export const BOOT_STEPS = [
  'discover',
  'offer',
  'request',
  'ack',
  'loader',
  'config',
  'kernel',
  'initrd',
  'answer',
  'callback',
] as const;
export type BootStep = (typeof BOOT_STEPS)[number];

/** How the dashboard and the CLI name each step. */
export const BOOT_STEP_LABELS: Readonly<Record<BootStep, string>> = {
  discover: 'DISCOVER',
  offer: 'OFFER',
  request: 'REQUEST',
  ack: 'ACK',
  loader: 'loader',
  config: 'config',
  kernel: 'kernel',
  initrd: 'initrd',
  answer: 'answer file',
  callback: 'callback',
};

const DHCP_STEPS: Readonly<Record<string, BootStep>> = {
  DHCPDISCOVER: 'discover',
  DHCPOFFER: 'offer',
  DHCPREQUEST: 'request',
  DHCPACK: 'ack',
};

/** The file kinds of a boot, by name: what a TFTP or HTTP fetch was for. */
export type BootFileKind = 'loader' | 'config' | 'kernel' | 'initrd';

// pxelinux looks up pxelinux.cfg/<uuid>, 01-<mac>, the hex address shortened, then default; GRUB reads grub.cfg
// and grub.cfg-01-<mac>; iPXE fetches scripts (*.ipxe). Loaders are PXE NBPs (*.0, *.kpxe, *.pxe), EFI binaries
// (*.efi, *.efi.signed), iPXE's *.lkrn, and syslinux's modules (*.c32, *.e64), which come before its config.
const CONFIG_FILE = /(^|\/)pxelinux\.cfg\/|(^|\/)grub[^/]*\.cfg(-[^/]*)?$|\.ipxe$|\.cfg$/i;
const KERNEL_FILE = /^(vmlinu[xz]|linux|bzimage|kernel)([-._][^/]*)?$/i;
const INITRD_FILE = /^initr(d|amfs)([-._][^/]*)?$/i;
const LOADER_FILE = /\.(0|kpxe|kkpxe|pxe|efi|signed|lkrn|c32|e64)$/i;

/** What a boot file is, from its path; undefined for anything else (an install tree's packages, say). */
export function bootFileKind(path: string): BootFileKind | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (CONFIG_FILE.test(path)) return 'config';
  if (KERNEL_FILE.test(name)) return 'kernel';
  if (INITRD_FILE.test(name)) return 'initrd';
  if (LOADER_FILE.test(name)) return 'loader';
  return undefined;
}

/** The step an event belongs to; undefined for events that are no step of a boot (lifecycle, NAK, RELEASE). */
export function bootStepOf(event: MachineEvent): BootStep | undefined {
  switch (event.source) {
    case 'dhcp':
      return DHCP_STEPS[event.kind];
    case 'tftp':
    case 'http': {
      if (event.kind === 'iPXE script') return 'config';
      const file = fileOf(event);
      return file === undefined ? undefined : bootFileKind(file);
    }
    case 'installer':
      if (event.kind === 'answer-file served') return 'answer';
      return event.kind.startsWith('install ') ? 'callback' : undefined;
    case 'api':
    case 'lifecycle':
      return undefined;
  }
}

/** The file a TFTP or HTTP event is about. */
export function fileOf(event: MachineEvent): string | undefined {
  const file = event.details.file;
  return typeof file === 'string' && file.length > 0 ? file : undefined;
}

/**
 * Whether the event reports a failure: a DHCPNAK or a dropped request, a TFTP transfer that did not complete, an
 * HTTP fetch that got an error status or broke off, an install that failed.
 */
export function isFailure(event: MachineEvent): boolean {
  const d = event.details;
  switch (event.source) {
    case 'dhcp':
      return event.kind === 'DHCPNAK' || typeof d.outcome === 'string';
    case 'tftp':
      return d.result !== 'ok' && d.result !== 'probe';
    case 'http':
      return event.kind === 'HTTP GET' && (numberOf(d, 'status') >= 400 || d.complete === false);
    case 'installer':
      return event.kind === 'install failed';
    case 'api':
    case 'lifecycle':
      return false;
  }
}

/** A fetch that delivered its file: TFTP `ok`, or HTTP 2xx to the last byte. */
export function isDelivered(event: MachineEvent): boolean {
  if (event.source === 'tftp') return event.details.result === 'ok';
  if (event.source === 'http' && event.kind === 'HTTP GET') {
    const status = numberOf(event.details, 'status');
    return status >= 200 && status < 300 && event.details.complete !== false;
  }
  return false;
}

export function numberOf(details: JsonObject, key: string): number {
  const value = details[key];
  return typeof value === 'number' ? value : Number.NaN;
}

/**
 * The firmware's own DHCPDISCOVER (a PXE ROM or UEFI, not iPXE and not the installer): the power-on of a boot.
 * The DHCP path records `netboot` and `ipxe` in the request's details (dhcp/details.ts).
 */
export function isFirmwareDiscover(event: MachineEvent): boolean {
  return (
    event.source === 'dhcp' &&
    event.kind === 'DHCPDISCOVER' &&
    event.details.netboot === true &&
    event.details.ipxe !== true
  );
}

/**
 * The events of the latest boot: from the firmware's first DISCOVER of it (its retransmissions at 4, 8, 16 s are
 * the same boot, RFC 2131 §4.1) to the end. All of them when no firmware DISCOVER is among them.
 */
export function latestBoot(events: readonly MachineEvent[]): readonly MachineEvent[] {
  let start = -1;
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (event !== undefined && isFirmwareDiscover(event)) {
      start = i;
      break;
    }
  }
  if (start < 0) return events;
  while (start > 0) {
    const before = events[start - 1];
    if (before === undefined || !isFirmwareDiscover(before)) break;
    start -= 1;
  }
  return events.slice(start);
}

/** One step of the latest boot: when it was first reached, and whether its latest event failed. */
export interface StepProgress {
  readonly step: BootStep;
  readonly first: MachineEvent | undefined;
  readonly last: MachineEvent | undefined;
  readonly failed: boolean;
}

/** Each step of the latest boot in order, reached or not. */
export function bootProgress(events: readonly MachineEvent[]): readonly StepProgress[] {
  const boot = latestBoot(events);
  const first = new Map<BootStep, MachineEvent>();
  const last = new Map<BootStep, MachineEvent>();
  for (const event of boot) {
    const step = bootStepOf(event);
    if (step === undefined) continue;
    if (!first.has(step)) first.set(step, event);
    last.set(step, event);
  }
  return BOOT_STEPS.map((step) => {
    const latest = last.get(step);
    return {
      step,
      first: first.get(step),
      last: latest,
      failed: latest !== undefined && isFailure(latest),
    };
  });
}
