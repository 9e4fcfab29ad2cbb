import type { Machine } from '../inventory/machine.js';
import { MARKED_STATES } from '../inventory/machine.js';
import type { OsArch, OsImage } from '../inventory/os-image.js';
import type { Profile, Rule, UnmarkedAction } from '../inventory/profile.js';
import type { EpochMs } from '../inventory/time.js';
import type { BootClient, BootEntry, BootPlan, LinuxEntry, LocalEntry } from './boot-plan.js';
import { installerArgs, interactiveArgs } from './installer-args.js';

/** What decideBoot is given: everything it needs, looked up by the caller (provision/boot-decider.ts). */
export interface DecideBootInput {
  /** Who asks, as identified by its lease or boot address; `arch` is DHCP option 93. */
  readonly client: BootClient;
  /** The inventory's machine of the client's MAC, when there is one. */
  readonly machine: Machine | undefined;
  /**
   * The profile that applies to the machine (inventory/rules.ts resolveProfile), when one does, and the rule that
   * matched it (none when the profile was assigned to the machine itself and no rule matches).
   */
  readonly match: { readonly profile: Profile; readonly rule: Rule | undefined } | undefined;
  /** The OS image the matched profile names, when it is imported. */
  readonly image: OsImage | undefined;
  /** Every imported image, for the menu. */
  readonly images: readonly OsImage[];
  /**
   * The host name the machine installs as (its own, else its profile's hostname pattern expanded, as its answer
   * file has it: answers/context.ts), when one could be made.
   */
  readonly hostname?: string;
  /** The machine's install token (provision/install-token.ts), when it is marked and the token checks out. */
  readonly installToken: string | undefined;
  /** Base URL of fleetboot's HTTP server as the client reaches it, without a trailing slash. */
  readonly httpBase: string;
  /** What an unmarked client no rule matches gets (unknown machines included): local boot or the menu. */
  readonly unmatched: UnmarkedAction;
  /** How long the menu waits before it boots the local disk. */
  readonly menuTimeoutSeconds: number;
  readonly now: EpochMs;
}

/** The plan, and why: the reason goes to the debug log and the machine's timeline. */
export interface BootDecision {
  readonly plan: BootPlan;
  readonly action: 'install' | 'local' | 'menu';
  readonly reason: string;
}

export const LOCAL_ENTRY: LocalEntry = { kind: 'local', id: 'local', label: 'Boot from local disk' };

/**
 * The one boot decision of issue 5 item 5 (design.md §3, catalogue S07): a machine gets its installer only while it
 * carries an unexpired install mark, has a profile whose OS image is imported for its architecture, and a token
 * to put in the answer-file URL. Everything else gets the local disk, or the menu of imported OSes when its rule
 * (or, for machines no rule matches, the server's setting) says so — never an unattended installer. Pure: every
 * loader's config (pxelinux, GRUB, iPXE) is rendered from what this returns.
 *
 * Throws BootConfigTextError (config-text.ts) when a profile value cannot go on a kernel command line.
 */
export function decideBoot(input: DecideBootInput): BootDecision {
  const installable = installRefusal(input);
  if (installable.ok) return install(input, installable.image, installable.token);
  const unmarked = input.match?.rule?.unmarked ?? input.unmatched;
  if (unmarked === 'menu' && input.images.length > 0) {
    return { plan: menuPlan(input), action: 'menu', reason: installable.reason };
  }
  return {
    plan: { title: title(input, LOCAL_ENTRY.label), entries: [LOCAL_ENTRY], timeoutSeconds: 0 },
    action: 'local',
    reason: installable.reason,
  };
}

type Installable =
  | { readonly ok: true; readonly image: OsImage; readonly token: string }
  | { readonly ok: false; readonly reason: string };

function installRefusal(input: DecideBootInput): Installable {
  const { machine, match, image, installToken } = input;
  if (machine === undefined) return { ok: false, reason: 'unknown machine' };
  if (!MARKED_STATES.includes(machine.state) || machine.installMark === null) {
    return { ok: false, reason: `not marked for install (state ${machine.state})` };
  }
  if (machine.installMark.expiresAt <= input.now)
    return { ok: false, reason: 'the install mark has expired' };
  if (match === undefined) return { ok: false, reason: 'marked, but no profile applies' };
  if (image === undefined || image.name !== match.profile.os) {
    return { ok: false, reason: `marked, but OS image "${match.profile.os}" is not imported` };
  }
  const clientArch = osArchOfClient(input.client.arch);
  if (clientArch !== undefined && clientArch !== image.arch) {
    return {
      ok: false,
      reason: `marked, but image "${image.name}" is ${image.arch} and the client ${clientArch}`,
    };
  }
  if (installToken === undefined)
    return { ok: false, reason: 'marked, but its install token does not check out' };
  return { ok: true, image, token: installToken };
}

// RFC 4578 §2.1 / IANA processor architecture types (protocol-digest §2.2): what each netboot architecture runs.
function osArchOfClient(arch: number | undefined): OsArch | 'i386' | undefined {
  if (arch === undefined) return undefined;
  switch (arch) {
    case 0:
    case 7:
    case 9:
    case 16:
      return 'amd64';
    case 6:
      return 'i386';
    case 11:
    case 19:
      return 'arm64';
    default:
      return undefined;
  }
}

function install(input: DecideBootInput, image: OsImage, token: string): BootDecision {
  const profile = input.match?.profile;
  if (profile === undefined) throw new Error('install() without a profile');
  const answers = `${input.httpBase}/answers/${token}`;
  const entry: LinuxEntry = {
    kind: 'linux',
    id: 'install',
    label: `Install ${image.name} (profile ${profile.name})`,
    kernel: image.kernel,
    initrds: image.initrds,
    args: installerArgs({ image, profile, hostname: input.hostname, answers, httpBase: input.httpBase }),
  };
  return {
    plan: { title: title(input, entry.label), entries: [entry], timeoutSeconds: 0, confidential: true },
    action: 'install',
    reason: `marked for install with profile ${profile.name}`,
  };
}

/**
 * The discovery menu (the seed's txt.cfg): local boot first, so it is what the timeout boots, then one interactive
 * installer per imported OS. No entry carries an answer-file URL: whoever picks one answers the installer's
 * questions at the console.
 */
function menuPlan(input: DecideBootInput): BootPlan {
  const installers = [...input.images]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((image, index): BootEntry => ({
      kind: 'linux',
      id: `os-${index + 1}`,
      label: `Install ${image.name} (${image.family} ${image.release}, ${image.arch}), interactive`,
      kernel: image.kernel,
      initrds: image.initrds,
      args: interactiveArgs(image, input.httpBase),
    }));
  return {
    title: title(input, 'menu'),
    entries: [LOCAL_ENTRY, ...installers],
    timeoutSeconds: Math.max(1, Math.floor(input.menuTimeoutSeconds)),
  };
}

function title(input: DecideBootInput, what: string): string {
  const who = input.machine?.hostname ?? input.client.mac ?? input.client.address;
  return `fleetboot: ${who}: ${what}`;
}
