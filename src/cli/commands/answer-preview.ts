import type { AnswerContextInput } from '../../answers/context.js';
import type { FleetbootConfig } from '../../config/types.js';
import type { Machine, MachineId } from '../../inventory/machine.js';
import type { OsFamily, OsImage } from '../../inventory/os-image.js';
import type { AnswerFormat, Profile } from '../../inventory/profile.js';
import type { Mac } from '../../values/mac.js';

// What `profiles check` and `machines render` render with when they are not answering a real request: the URLs
// a machine would be given, and a sample machine for a profile.

/** RFC 2606: a name that resolves nowhere, for a server address the configuration does not give. */
const UNKNOWN_SERVER = 'fleetboot.invalid';

/**
 * The HTTP base an installer is given: `http.publicUrl`, else the listen address when it is a specific one. A
 * wildcard listener's address is the one each request arrives on; a preview says so with a placeholder host.
 */
export function previewHttpBase(config: FleetbootConfig): { base: string; known: boolean } {
  if (config.http.publicUrl !== undefined)
    return { base: config.http.publicUrl.replace(/\/+$/, ''), known: true };
  const { host, port } = config.http.listen;
  const known = host !== '0.0.0.0' && host !== '::';
  const shown = !known ? UNKNOWN_SERVER : host.includes(':') ? `[${host}]` : host;
  return { base: `http://${shown}:${port}`, known };
}

/** The URLs of one install, as the answer routes give them (provision/http-answers.ts): `<http>/answers/<token>/…`. */
export function previewUrls(config: FleetbootConfig, token: string): AnswerContextInput['urls'] {
  const { base } = previewHttpBase(config);
  const answers = `${base}/answers/${token}`;
  const proxy = config.cache.enabled ? config.cache.proxyUrl : undefined;
  return {
    answers,
    done: `${answers}/done`,
    failed: `${answers}/failed`,
    progress: `${answers}/progress`,
    boot: `${base}/boot`,
    ...(proxy === undefined ? {} : { proxy }),
  };
}

const FAMILY_OF_FORMAT: Readonly<Record<AnswerFormat, OsFamily>> = {
  preseed: 'debian',
  autoinstall: 'ubuntu',
  kickstart: 'rhel',
};

/** Stands in for a profile's OS image that is not imported (or not looked up): its name, the format's family. */
export function standInImage(profile: Profile, format: AnswerFormat): OsImage {
  return {
    name: profile.os,
    family: FAMILY_OF_FORMAT[format],
    release: '',
    arch: 'amd64',
    kernel: '',
    initrds: [],
    loaders: {},
    files: [],
    source: '',
    importedAt: 0,
  };
}

const SAMPLE_MAC = '52:54:00:00:00:01' as Mac;

/**
 * The machine a profile is checked with: the first machine declared with it in the configuration, else one made
 * up from the first rule that selects it (its MAC, UUID, arch and labels), so a hostname pattern that reads a
 * label the rule guarantees can be expanded.
 */
export function sampleMachine(config: FleetbootConfig, profile: Profile): Machine {
  const declared = config.machines.find((m) => m.profile === profile.name);
  const selector = config.rules.find((r) => r.profile === profile.name)?.selector ?? {};
  return {
    id: '00000000-0000-4000-8000-000000000001' as MachineId,
    macs: declared?.macs ?? [selector.mac ?? SAMPLE_MAC],
    uuid: declared?.uuid ?? selector.uuid ?? null,
    arch: selector.arch ?? null,
    vendorClass: selector.vendorClass ?? null,
    hostname: declared?.hostname ?? null,
    labels: declared?.labels ?? selector.labels ?? {},
    reservedIp: declared?.reservedIp ?? null,
    profile: profile.name,
    state: 'queued',
    installMark: null,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
  };
}
