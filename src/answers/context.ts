import type { Machine } from '../inventory/machine.js';
import type { OsImage } from '../inventory/os-image.js';
import type { Profile } from '../inventory/profile.js';
import type { JsonObject } from '../inventory/json.js';
import type { Labels } from '../inventory/machine.js';
import { parseHostname } from '../values/hostname.js';
import type { Ipv4 } from '../values/ipv4.js';
import { AnswerRenderError } from './errors.js';
import { DEFAULT_HOSTNAME_PATTERN, expandHostnamePattern } from './hostname-pattern.js';

/**
 * What a template sees. Optional members are absent, never `null`: with strict variables, `{{ urls.proxy }}` is
 * then an error when there is no proxy, instead of a blank value in a file (templates test them with `{% if %}`).
 */
export interface AnswerContext {
  readonly machine: {
    readonly id: string;
    /** RFC 1123, lower case: the machine's own hostname, else its profile's hostnamePattern expanded. */
    readonly hostname: string;
    /** The first MAC, canonical (`52:54:00:12:34:56`). */
    readonly mac: string;
    readonly macs: readonly string[];
    /** The address it boots from (its lease or reservation), when known. */
    readonly ip?: string;
    readonly uuid?: string;
    readonly arch?: number;
    readonly labels: Labels;
  };
  readonly profile: { readonly name: string; readonly os: string; readonly variables: JsonObject };
  readonly os: {
    readonly name: string;
    readonly family: string;
    readonly release: string;
    readonly arch: string;
  };
  readonly urls: AnswerUrls;
}

export interface AnswerUrls {
  /** POST here when the install finished (the token is in the URL). */
  readonly done: string;
  /** POST here when it failed; a text/plain body is the reason. */
  readonly failed: string;
  readonly progress: string;
  /** Base URL of this machine's answer files: `<http>/answers/<token>` (provision/http-answers.ts answerUrls). */
  readonly answers: string;
  /** HTTP base of the boot root: `<http>/boot`. */
  readonly boot: string;
  /** The package mirror or install tree: the profile's `mirror`, else the image's install source under `boot`. */
  readonly mirror?: string;
  /** The package cache's HTTP proxy, when it is on. */
  readonly proxy?: string;
}

export interface AnswerContextInput {
  readonly machine: Machine;
  /** The address the machine boots from, when known. */
  readonly ip: Ipv4 | null;
  readonly profile: Profile;
  readonly image: OsImage;
  /** Everything but `mirror`, which comes from the profile or the image. */
  readonly urls: Omit<AnswerUrls, 'mirror'>;
}

/**
 * The context of one machine's answer files. Throws AnswerRenderError (naming the profile's template) when the
 * machine's hostname cannot be made: a stored hostname or an expanded pattern that is not RFC 1123.
 */
export function buildAnswerContext({ machine, ip, profile, image, urls }: AnswerContextInput): AnswerContext {
  const variables = profile.variables;
  const fail = (variable: string, reason: string): never => {
    throw new AnswerRenderError(profile.template, '(context)', undefined, variable, reason);
  };
  let hostname: string;
  if (machine.hostname !== null) {
    try {
      hostname = parseHostname(machine.hostname);
    } catch (error) {
      return fail('machine.hostname', (error as Error).message);
    }
  } else {
    const pattern = variables.hostnamePattern ?? DEFAULT_HOSTNAME_PATTERN;
    if (typeof pattern !== 'string') return fail('profile.variables.hostnamePattern', 'is not a string');
    try {
      hostname = expandHostnamePattern(pattern, machine);
    } catch (error) {
      return fail('profile.variables.hostnamePattern', (error as Error).message);
    }
  }
  const mirror = mirrorOf(variables, image, urls.boot, fail);
  return {
    machine: {
      id: machine.id,
      hostname,
      mac: machine.macs[0] ?? '',
      macs: machine.macs,
      ...(ip === null ? {} : { ip }),
      ...(machine.uuid === null ? {} : { uuid: machine.uuid }),
      ...(machine.arch === null ? {} : { arch: machine.arch }),
      labels: machine.labels,
    },
    profile: { name: profile.name, os: profile.os, variables },
    os: { name: image.name, family: image.family, release: image.release, arch: image.arch },
    urls: { ...urls, ...(mirror === undefined ? {} : { mirror }) },
  };
}

function mirrorOf(
  variables: JsonObject,
  image: OsImage,
  boot: string,
  fail: (variable: string, reason: string) => never,
): string | undefined {
  const mirror = variables.mirror;
  if (mirror !== undefined) {
    return typeof mirror === 'string' ? mirror : fail('profile.variables.mirror', 'is not a URL string');
  }
  if (image.installSource === undefined) return undefined;
  return new URL(image.installSource.replace(/^\/+/, ''), boot.endsWith('/') ? boot : `${boot}/`).href;
}
