import type { JsonObject } from '../inventory/json.js';
import type { OsImage } from '../inventory/os-image.js';
import type { Profile } from '../inventory/profile.js';
import { InvalidValueError } from '../values/brand.js';
import { parseHostLabel, parseHostname } from '../values/hostname.js';
import { BootConfigTextError, checkKernelArgs } from './config-text.js';

export interface InstallerArgsInput {
  readonly image: OsImage;
  readonly profile: Profile;
  /** The host name it installs as, possibly fully qualified; none leaves d-i's default (or DHCP's name). */
  readonly hostname: string | undefined;
  /** Base URL of this machine's answer files (`<http>/answers/<token>`), no trailing slash. */
  readonly answers: string;
  readonly httpBase: string;
}

/**
 * The kernel command line of an unattended install: the family's installer arguments (protocol-digest §7), then
 * the profile's own `kernelArgs`. Throws BootConfigTextError when a value cannot go on a command line.
 */
export function installerArgs(input: InstallerArgsInput): string {
  return checkKernelArgs([...familyArgs(input), ...words(input.profile.kernelArgs)].join(' '));
}

/** The arguments an interactive install of the image needs (the menu): where the installer finds the rest. */
export function interactiveArgs(image: OsImage, httpBase: string): string {
  switch (image.family) {
    case 'debian':
      return '';
    case 'ubuntu':
      return casperArgs(image, httpBase).join(' ');
    case 'rhel':
      return anacondaSourceArgs(image, httpBase).join(' ');
  }
}

function familyArgs(input: InstallerArgsInput): string[] {
  const { image, answers, httpBase } = input;
  switch (image.family) {
    case 'debian':
      return debianArgs(input);
    case 'ubuntu':
      // digest §7.2: NoCloud over HTTP, `s=` with its trailing slash; `autoinstall` so subiquity does not ask
      // before it touches the disk. `nocloud-net` is the name every cloud-init release accepts. The `;` is a
      // statement end in GRUB (render-grub.ts quotes every word) and plain text to pxelinux and iPXE (an iPXE
      // token ends a command only when it is exactly `;`).
      return ['autoinstall', `ds=nocloud-net;s=${answers}/`, ...casperArgs(image, httpBase)];
    case 'rhel':
      // digest §7.3: Anaconda fetches the kickstart, then the tree.
      return [`inst.ks=${answers}/ks.cfg`, ...anacondaSourceArgs(image, httpBase)];
  }
}

/**
 * digest §7.1: `auto=true` defers the locale and keyboard questions until the preseed is loaded, but netcfg runs
 * before it, so the interface, host name and domain go on the command line (as do locale and keymap, so no
 * question at all is asked before the preseed arrives). `interface=auto` picks the NIC with a link rather than
 * asking which one when there are several.
 */
function debianArgs(input: InstallerArgsInput): string[] {
  const variables = input.profile.variables;
  // It may be fully qualified (node01.lab.example): d-i takes the label and the domain apart.
  const fqdn = input.hostname;
  const dot = fqdn?.indexOf('.') ?? -1;
  const hostname = dot < 0 ? fqdn : fqdn?.slice(0, dot);
  const domain = stringVariable(variables, 'domain') ?? (dot < 0 ? undefined : fqdn?.slice(dot + 1));
  const locale = stringVariable(variables, 'locale');
  const keymap = stringVariable(variables, 'keymap') ?? stringVariable(variables, 'keyboard');
  return [
    'auto=true',
    'priority=critical',
    `url=${input.answers}/preseed.cfg`,
    'interface=auto',
    ...(hostname === undefined ? [] : [`hostname=${checked(hostname, 'hostname', parseHostLabel)}`]),
    ...(domain === undefined ? [] : [`domain=${checked(domain, 'domain', parseHostname)}`]),
    ...(locale === undefined ? [] : [`locale=${checked(locale, 'locale', parseLocale)}`]),
    ...(keymap === undefined ? [] : [`keymap=${checked(keymap, 'keymap', parseKeymap)}`]),
  ];
}

// digest §7.2: casper downloads the live ISO into RAM; cloud-config-url=/dev/null keeps cloud-init from fetching
// it a second time.
function casperArgs(image: OsImage, httpBase: string): string[] {
  return [
    'ip=dhcp',
    'root=/dev/ram0',
    'ramdisk_size=1500000',
    ...(image.installSource === undefined ? [] : [`url=${httpBase}/boot/${image.installSource}`]),
    'cloud-config-url=/dev/null',
  ];
}

function anacondaSourceArgs(image: OsImage, httpBase: string): string[] {
  return [
    'ip=dhcp',
    ...(image.installSource === undefined ? [] : [`inst.repo=${httpBase}/boot/${image.installSource}`]),
  ];
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

function stringVariable(variables: JsonObject, name: string): string | undefined {
  const value = variables[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// `en_US.UTF-8`, `de_CH`, `sr_RS@latin`: what d-i's `locale=` takes (a POSIX locale name).
function parseLocale(input: string): string {
  if (!/^[a-z]{2,3}(?:_[A-Z]{2})?(?:\.[A-Za-z0-9-]+)?(?:@[a-z]+)?$/.test(input)) {
    throw new InvalidValueError('locale', input, 'a locale such as en_US.UTF-8');
  }
  return input;
}

// `us`, `de`, `fr-latin9`: a console-setup keymap name.
function parseKeymap(input: string): string {
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/i.test(input)) {
    throw new InvalidValueError('keymap', input, 'a keymap name such as us or fr-latin9');
  }
  return input;
}

function checked(value: string, what: string, parse: (input: string) => string): string {
  try {
    return parse(value);
  } catch (error) {
    if (error instanceof InvalidValueError) {
      throw new BootConfigTextError(`the profile's ${what}: ${error.message}`);
    }
    throw error;
  }
}
