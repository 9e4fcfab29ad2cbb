import type { BootClient } from '../boot/boot-plan.js';
import { type BootDecision, decideBoot } from '../boot/decide.js';
import { DEFAULT_HOSTNAME_PATTERN, expandHostnamePattern } from '../answers/hostname-pattern.js';
import type { Machine } from '../inventory/machine.js';
import { MARKED_STATES } from '../inventory/machine.js';
import type { OsImage } from '../inventory/os-image.js';
import type { Profile, Rule, UnmarkedAction } from '../inventory/profile.js';
import { type BootFacts, resolveProfile } from '../inventory/rules.js';
import type { Logger } from '../observability/logger.js';
import type { Ipv4Subnet } from '../values/ipv4.js';
import { deriveInstallToken, hashInstallToken, sameTokenHash } from './install-token.js';

export interface BootDeciderDeps {
  /** The imported images (Catalog.list). */
  readonly images: () => Promise<readonly OsImage[]>;
  /** The configured profiles and rules (inventory/rules.ts resolveProfile picks among them). */
  readonly profiles: readonly Profile[];
  readonly rules: readonly Rule[];
  /** The server secret install tokens are derived from (install-token.ts). */
  readonly secret: Uint8Array;
  readonly unmatched: UnmarkedAction;
  readonly menuTimeoutSeconds: number;
  readonly now: () => number;
  readonly logger: Logger;
}

/**
 * decideBoot with its inputs looked up: the machine's profile and image, the imported images, and its install
 * token. What TFTP (pxelinux, GRUB) and HTTP (iPXE) both call, so every loader of a machine boots the same thing.
 */
export class BootDecider {
  constructor(private readonly deps: BootDeciderDeps) {}

  async decide(
    client: BootClient,
    machine: Machine | undefined,
    options: { readonly httpBase: string; readonly subnet?: Ipv4Subnet },
  ): Promise<BootDecision> {
    const images = await this.deps.images();
    const facts: BootFacts = { subnet: options.subnet, arch: client.arch };
    const match =
      machine === undefined ? undefined : resolveProfile(machine, facts, this.deps.rules, this.deps.profiles);
    return decideBoot({
      client,
      machine,
      match,
      image: match === undefined ? undefined : images.find((i) => i.name === match.profile.os),
      images,
      ...(machine === undefined || match === undefined ? {} : installHostname(machine, match.profile)),
      installToken: machine === undefined ? undefined : this.tokenOf(machine),
      httpBase: options.httpBase,
      unmatched: this.deps.unmatched,
      menuTimeoutSeconds: this.deps.menuTimeoutSeconds,
      now: this.deps.now(),
    });
  }

  /**
   * The token of the machine's current mark, derived again (it is never stored) and checked against the mark's
   * hash: after the secret file was replaced, old marks have no valid token and the machine boots locally rather
   * than into an installer whose answer file would be refused.
   */
  private tokenOf(machine: Machine): string | undefined {
    const mark = machine.installMark;
    if (mark === null || !MARKED_STATES.includes(machine.state)) return undefined;
    const token = deriveInstallToken(this.deps.secret, machine.id, mark.at);
    if (sameTokenHash(hashInstallToken(token), mark.tokenHash)) return token;
    this.deps.logger.warn(
      { machine: machine.id },
      'install mark does not match this server secret (install-token.key replaced?): mark the machine again',
    );
    return undefined;
  }
}

/** The host name the answer file will give the machine (answers/context.ts), for the installer's command line. */
function installHostname(machine: Machine, profile: Profile): { hostname?: string } {
  if (machine.hostname !== null) return { hostname: machine.hostname };
  const pattern = profile.variables.hostnamePattern ?? DEFAULT_HOSTNAME_PATTERN;
  if (typeof pattern !== 'string') return {};
  try {
    return { hostname: expandHostnamePattern(pattern, machine) };
  } catch {
    return {}; // the answer file fails to render with the reason; the command line just goes without
  }
}
