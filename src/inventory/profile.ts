import type { Ipv4Subnet } from '../values/ipv4.js';
import type { Mac } from '../values/mac.js';
import type { Uuid } from '../values/uuid.js';
import type { JsonObject } from './json.js';
import type { Labels } from './machine.js';

/** The answer-file formats fleetboot renders (issue 5 item 7). */
export const ANSWER_FORMATS = ['preseed', 'autoinstall', 'kickstart'] as const;
export type AnswerFormat = (typeof ANSWER_FORMATS)[number];

/**
 * How a machine is installed (design.md §3): an OS image, the installer's extra kernel arguments, an answer
 * template and the variables the template reads (hostname pattern, disk, locale, timezone, packages, users, SSH
 * keys, password hash, mirror, proxy…). The variables are free-form here: the template says which it needs, and
 * `fleetboot profiles check` renders it strictly, so a missing one is an error before a machine boots.
 */
export interface Profile {
  /** `[a-z0-9][a-z0-9-]*`, unique. */
  readonly name: string;
  /** The OsImage name. */
  readonly os: string;
  /** A built-in template name (`debian-preseed`, `ubuntu-autoinstall`, `kickstart`) or an absolute path. */
  readonly template: string;
  /** Appended to the installer's command line; one line (values/boot-text.ts parseKernelArgs). */
  readonly kernelArgs: string;
  readonly variables: JsonObject;
}

/** What a rule matches on. Every field given must match; an empty selector matches every machine. */
export interface Selector {
  readonly mac?: Mac;
  readonly uuid?: Uuid;
  /** DHCP option 93. */
  readonly arch?: number;
  /** The subnet the machine boots in (its lease's, or the relay's giaddr's). */
  readonly subnet?: Ipv4Subnet;
  /** A prefix of DHCP option 60, e.g. `PXEClient:Arch:00007`. */
  readonly vendorClass?: string;
  /** All of these labels, with exactly these values. */
  readonly labels?: Labels;
}

/**
 * What an unmarked machine matched by a rule gets: local boot (the default, design.md §3) or the menu of imported
 * OSes. A marked machine always gets its installer.
 */
export const UNMARKED_ACTIONS = ['local', 'menu'] as const;
export type UnmarkedAction = (typeof UNMARKED_ACTIONS)[number];

/** Selectors → profile. The most specific matching rule wins (Matchbox's rule); ties are a config error. */
export interface Rule {
  /** For messages and events: `rules[3]` or the name the operator gave. */
  readonly name: string;
  readonly selector: Selector;
  readonly profile: string;
  readonly unmarked: UnmarkedAction;
}
