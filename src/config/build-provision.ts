import path from 'node:path';
import type { JsonObject } from '../inventory/json.js';
import type { Profile, Rule, Selector } from '../inventory/profile.js';
import { parseHostname } from '../values/hostname.js';
import { parseIpv4, parseIpv4Subnet } from '../values/ipv4.js';
import { parseMac } from '../values/mac.js';
import { parseUuid } from '../values/uuid.js';
import type { BaseDir } from './build.js';
import type { RawConfig } from './schema.js';
import type { RawDeclaredMachine, RawProfile, RawSelector } from './schema-provision.js';
import type { DeclaredMachine, FleetbootConfig } from './types.js';

type Provisioning = Pick<FleetbootConfig, 'profiles' | 'rules' | 'machines' | 'install'>;

/** The provisioning part of buildConfig: values already checked by the schema and provision-rules.ts. */
export function buildProvisioning(raw: RawConfig, baseDir: BaseDir): Provisioning {
  return {
    profiles: raw.profiles.map((p) => buildProfile(p, baseDir(['profiles']))),
    rules: raw.rules.map((r, index): Rule => ({
      name: r.name ?? `rules[${index}]`,
      selector: buildSelector(r.match),
      profile: r.profile,
      unmarked: r.unmarked,
    })),
    machines: raw.machines.map(buildMachine),
    install: {
      markTtlMs: raw.install.markTtl * 1000,
      unknown: raw.install.unknown,
      menuTimeoutSeconds: raw.install.menuTimeout,
    },
  };
}

function buildProfile(raw: RawProfile, dir: string): Profile {
  return {
    name: raw.name,
    os: raw.os,
    // A name without `/` is a built-in template; a path is made absolute here, as tftp.roots are.
    template: raw.template.includes('/') ? path.resolve(dir, raw.template) : raw.template,
    kernelArgs: raw.kernelArgs,
    // provision-rules.ts checked that this is JSON (jsonProblem).
    variables: raw.variables as JsonObject,
  };
}

export function buildSelector(raw: RawSelector): Selector {
  return {
    ...(raw.mac === undefined ? {} : { mac: parseMac(raw.mac) }),
    ...(raw.uuid === undefined ? {} : { uuid: parseUuid(raw.uuid) }),
    ...(raw.arch === undefined ? {} : { arch: raw.arch }),
    ...(raw.subnet === undefined ? {} : { subnet: parseIpv4Subnet(raw.subnet) }),
    ...(raw.vendorClass === undefined ? {} : { vendorClass: raw.vendorClass }),
    ...(raw.labels === undefined ? {} : { labels: raw.labels }),
  };
}

function buildMachine(raw: RawDeclaredMachine): DeclaredMachine {
  return {
    macs: raw.macs.map(parseMac),
    ...(raw.uuid === undefined ? {} : { uuid: parseUuid(raw.uuid) }),
    ...(raw.hostname === undefined ? {} : { hostname: parseHostname(raw.hostname) }),
    labels: raw.labels,
    ...(raw.profile === undefined ? {} : { profile: raw.profile }),
    ...(raw.reservedIp === undefined ? {} : { reservedIp: parseIpv4(raw.reservedIp) }),
  };
}
