import { bootStepOf, fileOf, isDelivered, numberOf, type BootStep } from './boot-timeline.js';
import type { MachineEvent } from './event.js';
import type { Machine } from './machine.js';
import type { EpochMs } from './time.js';

// "Why did it not boot?" without a packet capture (issue 6 item 4): the likely cause of a stalled boot, named from
// the machine's events and state alone. Pure: the API's machine route and the dashboard call it with the events
// they read and the time it is now. Rules, most specific first; the first that matches is the diagnosis.

export const DIAGNOSIS_CODES = [
  'tftp-timeout',
  'wrong-arch-loader',
  'chainload-loop',
  'answer-never-fetched',
  'callback-never-received',
] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

export interface Diagnosis {
  readonly code: DiagnosisCode;
  /** One line for an operator: what happened, and what to look at. */
  readonly summary: string;
  /** When the stall began (the event it is measured from). */
  readonly since: EpochMs;
  /** The events that show it, oldest first. */
  readonly eventIds: readonly number[];
}

export interface DiagnosisLimits {
  /** The same loader loaded this many times with the boot getting no further is a loop. */
  readonly loopCount: number;
  /** After the installer's kernel and initrd, its answer file should be asked for within this. */
  readonly answerWaitMs: number;
  /** After the answer file, the done or failed callback should come within this (an install's length). */
  readonly callbackWaitMs: number;
}

export const DEFAULT_DIAGNOSIS_LIMITS: DiagnosisLimits = {
  loopCount: 3,
  answerWaitMs: 10 * 60_000,
  callbackWaitMs: 90 * 60_000,
};

/** Steps that show a boot got past its first loader. */
const BEYOND_LOADER: ReadonlySet<BootStep> = new Set(['config', 'kernel', 'initrd', 'answer', 'callback']);
/** Steps that show a loader did its job (it fetched what comes after it). */
const BEYOND_CONFIG: ReadonlySet<BootStep> = new Set(['kernel', 'initrd', 'answer', 'callback']);

/**
 * The likely cause of a stall, or undefined when nothing looks stuck. `events` are the machine's, oldest first
 * (the latest few hundred are enough); `now` is wall-clock ms.
 */
export function diagnose(
  machine: Machine,
  events: readonly MachineEvent[],
  now: EpochMs,
  limits: DiagnosisLimits = DEFAULT_DIAGNOSIS_LIMITS,
): Diagnosis | undefined {
  return (
    tftpTimeout(events) ??
    wrongArchLoader(events) ??
    chainloadLoop(events, limits) ??
    answerNeverFetched(machine, events, now, limits) ??
    callbackNeverReceived(machine, events, now, limits)
  );
}

/** The latest TFTP transfer timed out and nothing of the boot arrived after it. */
function tftpTimeout(events: readonly MachineEvent[]): Diagnosis | undefined {
  const index = lastIndex(events, (e) => e.source === 'tftp');
  const transfer = events[index];
  if (transfer?.details.result !== 'timeout') return undefined;
  if (events.slice(index + 1).some((e) => isDelivered(e) || e.source === 'installer')) return undefined;
  const d = transfer.details;
  const acknowledged = numberOf(d, 'blocks');
  const block = Number.isNaN(acknowledged) ? undefined : acknowledged + 1;
  const blockSize = numberOf(d, 'blksize');
  const size = numberOf(d, 'size');
  const total = Number.isNaN(size) || Number.isNaN(blockSize) ? undefined : Math.floor(size / blockSize) + 1;
  const at =
    block === undefined
      ? ''
      : ` at block ${String(block)}${total === undefined ? '' : ` of ${String(total)}`}`;
  const options = [
    Number.isNaN(blockSize) ? undefined : `blksize ${String(blockSize)}`,
    typeof d.windowsize === 'number' ? `windowsize ${String(d.windowsize)}` : undefined,
    typeof d.retransmits === 'number' ? `${String(d.retransmits)} retransmits` : undefined,
  ].filter((s) => s !== undefined);
  return {
    code: 'tftp-timeout',
    summary:
      `TFTP timeout${at} sending ${fileOf(transfer) ?? 'a file'}${options.length > 0 ? ` (${options.join(', ')})` : ''}: ` +
      'the client stopped acknowledging. Look for packet loss or a firewall on the path, and try a smaller ' +
      'tftp.blocksize (a block larger than the path MTU is dropped) or windowsize 1',
    since: transfer.at,
    eventIds: [transfer.id],
  };
}

/** Firmware families, as option 93 gives them (the DHCP path records it as `firmware`) and as loaders are built. */
type Family = 'bios' | 'uefi-x64' | 'uefi-arm64' | 'uefi-ia32';

const FIRMWARE_FAMILY: Readonly<Record<string, Family>> = {
  bios: 'bios',
  'uefi-x64': 'uefi-x64',
  'uefi-http-x64': 'uefi-x64',
  'uefi-arm64': 'uefi-arm64',
  'uefi-http-arm64': 'uefi-arm64',
  'uefi-ia32': 'uefi-ia32',
};

const FAMILY_NAMES: Readonly<Record<Family, string>> = {
  bios: 'BIOS',
  'uefi-x64': 'UEFI x64',
  'uefi-arm64': 'UEFI arm64',
  'uefi-ia32': 'UEFI ia32',
};

/**
 * The firmware a loader is built for, from its name as Debian, iPXE, GRUB and shim ship them; undefined when the
 * name does not say (a renamed file is not guessed at). PXE NBPs (*.0, *.kpxe, *.pxe) and *.c32 run on BIOS only.
 */
export function loaderFamily(path: string): Family | undefined {
  const name = path.toLowerCase();
  const base = name.slice(name.lastIndexOf('/') + 1);
  if (/\.(0|kpxe|kkpxe|pxe|c32|lkrn)$/.test(base)) return 'bios';
  if (!/\.efi(\.signed)?$|\.e64$/.test(base)) return undefined;
  if (/aa64|arm64|aarch64/.test(name)) return 'uefi-arm64';
  if (/ia32|i386/.test(name)) return 'uefi-ia32';
  // x64-named EFI binaries, iPXE's EFI builds and syslinux.efi as Debian installs them (amd64 builds).
  if (/x64|x86_64|amd64|^ipxe\.efi$|^snponly\.efi$|^snp\.efi$|^syslinux\.efi$|\.e64$/.test(name)) {
    return 'uefi-x64';
  }
  return undefined;
}

/** The latest loader was built for another firmware than the client's option 93 says, and the boot stopped there. */
function wrongArchLoader(events: readonly MachineEvent[]): Diagnosis | undefined {
  const index = lastIndex(events, (e) => bootStepOf(e) === 'loader');
  const loader = events[index];
  if (loader === undefined) return undefined;
  if (events.slice(index + 1).some((e) => BEYOND_CONFIG.has(bootStepOf(e) ?? 'discover'))) return undefined;
  const file = fileOf(loader) ?? '';
  const built = loaderFamily(file);
  const request = events
    .slice(0, index)
    .findLast((e) => e.source === 'dhcp' && typeof e.details.firmware === 'string');
  const client = request === undefined ? undefined : FIRMWARE_FAMILY[request.details.firmware as string];
  if (request === undefined || built === undefined || client === undefined || built === client)
    return undefined;
  const arch =
    typeof request.details.arch === 'number' ? ` (option 93 arch ${String(request.details.arch)})` : '';
  return {
    code: 'wrong-arch-loader',
    summary:
      `wrong-architecture loader: ${file} is built for ${FAMILY_NAMES[built]}, but the machine's firmware is ` +
      `${FAMILY_NAMES[client]}${arch}. Give that architecture its own boot file (dhcp.bootFiles, or the site ` +
      "DHCP server's option 67 for that arch)",
    since: loader.at,
    eventIds: [request.id, loader.id],
  };
}

/** The same loader loaded again and again with no config, kernel or answer in between: a chainload loop. */
function chainloadLoop(events: readonly MachineEvent[], limits: DiagnosisLimits): Diagnosis | undefined {
  const from = lastIndex(events, (e) => BEYOND_LOADER.has(bootStepOf(e) ?? 'discover')) + 1;
  const loads = new Map<string, MachineEvent[]>();
  for (const event of events.slice(from)) {
    if (bootStepOf(event) !== 'loader' || !isDelivered(event)) continue;
    const file = fileOf(event) ?? '';
    loads.set(file, [...(loads.get(file) ?? []), event]);
  }
  const [file, repeated] = [...loads].reduce<[string, MachineEvent[]]>(
    (most, entry) => (entry[1].length > most[1].length ? entry : most),
    ['', []],
  );
  const first = repeated[0];
  if (first === undefined || repeated.length < limits.loopCount) return undefined;
  return {
    code: 'chainload-loop',
    summary:
      `chainload loop: ${file} was loaded ${String(repeated.length)} times and the boot went no further. The ` +
      "loader's own DHCP request got the loader again: a DHCP server must answer iPXE (user class iPXE, option " +
      '175) with its script, never with an iPXE binary',
    since: first.at,
    eventIds: repeated.map((e) => e.id),
  };
}

/** Marked, the installer's kernel (and initrd) loaded, but no answer file asked for within the limit. */
function answerNeverFetched(
  machine: Machine,
  events: readonly MachineEvent[],
  now: EpochMs,
  limits: DiagnosisLimits,
): Diagnosis | undefined {
  const mark = machine.installMark;
  if (machine.state !== 'queued' || mark === null) return undefined;
  const since = events.filter((e) => e.at >= mark.at);
  if (since.some((e) => bootStepOf(e) === 'answer')) return undefined;
  const booted = since.filter(
    (e) => isDelivered(e) && (bootStepOf(e) === 'kernel' || bootStepOf(e) === 'initrd'),
  );
  const latest = booted.at(-1);
  if (!booted.some((e) => bootStepOf(e) === 'kernel') || latest === undefined) return undefined;
  const waited = now - latest.at;
  if (waited < limits.answerWaitMs) return undefined;
  return {
    code: 'answer-never-fetched',
    summary:
      `answer file never fetched: the installer's kernel and initrd were loaded ${duration(waited)} ago and it ` +
      'has not asked for its answer file. Check that the machine reaches http.publicUrl from the installer ' +
      '(its DHCP, its route), and the url= on its kernel line (fleetboot machines render)',
    since: latest.at,
    eventIds: booted.map((e) => e.id),
  };
}

/** Installing: the answer file was fetched, but neither the done nor the failed callback came within the limit. */
function callbackNeverReceived(
  machine: Machine,
  events: readonly MachineEvent[],
  now: EpochMs,
  limits: DiagnosisLimits,
): Diagnosis | undefined {
  const mark = machine.installMark;
  if (machine.state !== 'installing' || mark === null) return undefined;
  const installer = events.filter((e) => e.at >= mark.at && e.source === 'installer');
  const answer = installer.find((e) => e.kind === 'answer-file served');
  const latest = installer.at(-1);
  if (answer === undefined || latest === undefined) return undefined;
  const waited = now - latest.at;
  if (waited < limits.callbackWaitMs) return undefined;
  const progress = latest === answer ? '' : ` (its last progress report ${duration(waited)} ago)`;
  return {
    code: 'callback-never-received',
    summary:
      `callback never received: the answer file was fetched ${duration(now - answer.at)} ago and neither the ` +
      `done nor the failed callback came${progress}. The install may have stopped: look at the machine's ` +
      `console; the mark expires at ${new Date(mark.expiresAt).toISOString()}`,
    since: latest.at,
    eventIds: [answer.id, ...(latest === answer ? [] : [latest.id])],
  };
}

function lastIndex(events: readonly MachineEvent[], test: (event: MachineEvent) => boolean): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i];
    if (event !== undefined && test(event)) return i;
  }
  return -1;
}

/** "45 s", "12 min", "3 h 5 min". */
export function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${String(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${String(minutes)} min`;
  const rest = minutes % 60;
  return `${String(Math.floor(minutes / 60))} h${rest === 0 ? '' : ` ${String(rest)} min`}`;
}
