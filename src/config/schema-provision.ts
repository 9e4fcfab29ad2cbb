import Type, { type Static } from 'typebox';
import { UNMARKED_ACTIONS } from '../inventory/profile.js';
import { integer, section, valueOf } from './schema-parts.js';

// Provisioning (issue 5 items 2–4, design.md §3): profiles, the rules that pick one for a machine, machines
// declared ahead of their first boot, and the install mark's policy.

// Label keys are checked by provision-rules.ts (parseLabelKey), which can say what a key should look like; a
// schema pattern on record keys would only say "a valid value".
function labels(description: string, options: { default?: Record<string, string> } = {}) {
  return Type.Record(Type.String(), valueOf('labelValue'), { description, ...options });
}

export const ProfileSchema = Type.Object(
  {
    name: valueOf('profileName', { description: 'Name rules and machines refer to; unique.' }),
    os: valueOf('imageName', {
      description: 'The OS image installed: a name `fleetboot os list` shows (checked when a machine boots).',
    }),
    template: valueOf('answerTemplate', {
      description:
        'Answer-file template: `debian-preseed`, `ubuntu-autoinstall`, `kickstart`, or a path to your own (with ' +
        'a `/`; relative to the directory of fleetboot.yaml). `fleetboot profiles check` renders it strictly.',
    }),
    kernelArgs: valueOf('kernelArgs', {
      default: '',
      maxLength: 2048,
      description:
        'Appended to the installer’s kernel command line, as one line without quotes or backslashes (GRUB would ' +
        'escape them, pxelinux not).',
    }),
    variables: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description:
        'Values the template reads (hostname pattern, disk, locale, timezone, packages, users, SSH keys, password ' +
        'hash, mirror, proxy…): any YAML that is also JSON. Put only password hashes here, never passwords ' +
        '(catalogue S05).',
    }),
  },
  { description: 'How machines are installed.', additionalProperties: false },
);

export const SelectorSchema = Type.Object(
  {
    mac: Type.Optional(valueOf('mac', { description: 'One of the machine’s MACs.' })),
    uuid: Type.Optional(valueOf('uuid', { description: 'The machine’s SMBIOS UUID (PXE option 97).' })),
    arch: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description:
          'Client architecture (DHCP option 93): 0 BIOS, 7 or 9 UEFI x64, 11 UEFI arm64, 16 HTTP x64.',
      }),
    ),
    subnet: Type.Optional(
      valueOf('cidr', {
        description:
          'The subnet the machine boots in (its lease’s, or its relay’s); a subnet inside it matches.',
      }),
    ),
    vendorClass: Type.Optional(
      valueOf('lineText', {
        maxLength: 255,
        description: 'A prefix of the vendor class (DHCP option 60), such as `PXEClient:Arch:00007`.',
      }),
    ),
    labels: Type.Optional(labels('Labels the machine has, each with exactly this value.')),
  },
  {
    default: {},
    description:
      'What the rule matches: every field given must match; none matches every machine. The most specific ' +
      'matching rule wins (see “Rules across keys”).',
    additionalProperties: false,
  },
);

export const RuleSchema = Type.Object(
  {
    name: Type.Optional(
      valueOf('profileName', { description: 'Name in messages and events. Default: `rules[<index>]`.' }),
    ),
    match: SelectorSchema,
    profile: valueOf('profileName', { description: 'The profile a matching machine installs with.' }),
    unmarked: Type.Enum([...UNMARKED_ACTIONS], {
      default: 'local',
      description:
        'What a matching machine that is not marked for install boots: `local` (its disk) or `menu` (the menu ' +
        'of imported OSes, local boot after `install.menuTimeout`). A marked machine always gets its installer.',
    }),
  },
  { description: 'Which profile machines install with.', additionalProperties: false },
);

export const DeclaredMachineSchema = Type.Object(
  {
    macs: Type.Array(valueOf('mac'), {
      minItems: 1,
      uniqueItems: true,
      description: 'The MACs of its interfaces, the one it boots from first.',
    }),
    uuid: Type.Optional(valueOf('uuid', { description: 'SMBIOS UUID.' })),
    hostname: Type.Optional(valueOf('dnsName', { description: 'Host name (RFC 1123); unique.' })),
    labels: labels('Labels, such as `rack: r12`, for rules and for selecting machines in the CLI.', {
      default: {},
    }),
    profile: Type.Optional(
      valueOf('profileName', { description: 'Profile it installs with, whatever the rules say.' }),
    ),
    reservedIp: Type.Optional(
      valueOf('ipv4', { description: 'An address the DHCP server always gives it; unique.' }),
    ),
  },
  {
    description:
      'A machine known before its first boot; enrolled (as `ready` when it has a profile) at start.',
    additionalProperties: false,
  },
);

// The largest TTL a mark may have: a week. A mark is a standing permission to wipe a disk (catalogue S07); one
// that outlives the maintenance window it was given for is the accident the mark exists to prevent.
/** Seconds; also how long proxyDHCP's boot address book keeps an entry (provisioning.ts). */
export const MAX_MARK_TTL = 7 * 24 * 3600;

export const InstallSchema = section('The install mark and what machines without one boot.', {
  markTtl: integer(
    'Seconds an install mark stays valid (`fleetboot machines install`); an install not finished by then ' +
      'fails with reason `timeout`, and the machine boots its disk again.',
    60,
    MAX_MARK_TTL,
    4 * 3600,
  ),
  unknown: Type.Enum([...UNMARKED_ACTIONS], {
    default: 'local',
    description:
      'What a machine no rule matches (and not marked) boots: `local` (its disk), or `menu` (the menu of ' +
      'imported OSes, local boot after the timeout).',
  }),
  menuTimeout: integer('Seconds the menu waits before booting the local disk.', 1, 3600, 10),
});

export type RawProfile = Static<typeof ProfileSchema>;
export type RawRule = Static<typeof RuleSchema>;
export type RawSelector = Static<typeof SelectorSchema>;
export type RawDeclaredMachine = Static<typeof DeclaredMachineSchema>;
export type RawInstall = Static<typeof InstallSchema>;
