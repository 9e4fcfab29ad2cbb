import type { FleetbootConfig } from '../../config/types.js';
import type { Machine, MachineId } from '../../inventory/machine.js';
import type { OsFamily, OsImage } from '../../inventory/os-image.js';
import type { AnswerFormat, Profile } from '../../inventory/profile.js';
import type { Mac } from '../../values/mac.js';

// What `profiles check` and `machines render` render with when they are not answering a real request: the URLs
// a machine would be given, and a sample machine for a profile.

// The URLs are the API's (api/answer-preview.ts): the dashboard shows the same preview.
export { previewHttpBase, previewUrls } from '../../api/answer-preview.js';

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
