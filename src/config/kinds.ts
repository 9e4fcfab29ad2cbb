import { isIPv6 } from 'node:net';
import { InvalidValueError } from '../values/brand.js';
import { type Hostname, HOSTNAME_EXPECTED, parseHostname } from '../values/hostname.js';
import { type Ipv4, type Ipv4Subnet, parseIpv4, parseIpv4Subnet } from '../values/ipv4.js';
import {
  BOOT_PATH_EXPECTED,
  KERNEL_ARGS_EXPECTED,
  LINE_TEXT_EXPECTED,
  parseBootPath,
  parseKernelArgs,
  parseLineText,
} from '../values/boot-text.js';
import { type Mac, parseMac } from '../values/mac.js';
import { parseStoreSpec, STORE_EXPECTED, type StoreSpec } from '../values/store-location.js';
import { LABEL_VALUE_EXPECTED, parseLabelValue } from '../values/label.js';
import {
  IMAGE_NAME_EXPECTED,
  parseImageName,
  parseProfileName,
  PROFILE_NAME_EXPECTED,
} from '../values/names.js';
import { parseUuid, type Uuid } from '../values/uuid.js';

/** Where a listener binds: an IPv4 address or an IPv6 literal (without brackets), and a port. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * A kind of string with meaning: how it is parsed, how it is named in docs and errors, and the JSON Schema
 * `format` that marks it. Only `ipv4` is a format JSON Schema defines (and TypeBox checks the same way as
 * parseIpv4); the others are annotations editors ignore, which is what the JSON Schema spec asks of them.
 */
export interface ValueKind<T> {
  readonly format: string;
  /** Short name for the Type column of docs/configuration.md. */
  readonly label: string;
  /** What a user should write, for "expected …, got …" messages. */
  readonly expected: string;
  readonly example: string;
  readonly parse: (input: string) => T;
}

const ipv4: ValueKind<Ipv4> = {
  format: 'ipv4',
  label: 'IPv4 address',
  expected: 'an IPv4 address such as 192.0.2.10',
  example: '192.0.2.10',
  parse: parseIpv4,
};

const cidr: ValueKind<Ipv4Subnet> = {
  format: 'ipv4-cidr',
  label: 'IPv4 subnet (CIDR)',
  expected: 'a subnet in CIDR notation such as 192.0.2.0/24',
  example: '192.0.2.0/24',
  parse: (input) => parseIpv4Subnet(input, { strict: true }),
};

const mac: ValueKind<Mac> = {
  format: 'mac',
  label: 'MAC address',
  expected: 'a MAC address such as 52:54:00:12:34:56',
  example: '52:54:00:12:34:56',
  parse: parseMac,
};

const HOST_PORT_EXPECTED =
  'host:port such as 0.0.0.0:8080 (an IPv4 address or [IPv6 address], port 0 to 65535)';

/** `0.0.0.0:8080` or `[::]:8080`. Port 0 asks the kernel for a free port, which tests rely on. */
function parseHostPort(input: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(input.trim());
  const port = Number(m?.[3]);
  const fail = (): never => {
    throw new InvalidValueError('listen address', input, HOST_PORT_EXPECTED);
  };
  if (!m || port > 65535) return fail();
  const [, v6, v4] = m;
  if (v6 !== undefined) return isIPv6(v6) ? { host: v6, port } : fail();
  try {
    return { host: parseIpv4(v4 ?? ''), port };
  } catch {
    return fail();
  }
}

const hostPort: ValueKind<ListenAddress> = {
  format: 'host-port',
  label: 'host:port',
  expected: HOST_PORT_EXPECTED,
  example: '0.0.0.0:8080',
  parse: parseHostPort,
};

// The parser openStore uses too (src/values/store-location.ts), so `store:` and `--store` cannot disagree.
const store: ValueKind<StoreSpec> = {
  format: 'store-url',
  label: 'store location',
  expected: STORE_EXPECTED,
  example: 'postgres://fleetboot@db.example/fleetboot',
  parse: parseStoreSpec,
};

const HTTP_URL_EXPECTED =
  'an http:// or https:// URL without query or fragment, such as http://192.0.2.1:8080';

// The URL goes into boot scripts and answer files that any machine on the segment can fetch: credentials in it
// would be handed to all of them (catalogue S05, I7). The API's own authentication is not done this way.
const HTTP_URL_NO_USERINFO =
  'a URL without a user name or password (it is written into boot scripts that every booting machine can ' +
  'read), such as http://192.0.2.1:8080';

/**
 * Returns the URL without a trailing slash, so that consumers can append `/path` without doubling it. Refuses
 * userinfo (`http://admin:pw@…`).
 */
function parseHttpUrl(input: string): string {
  const text = input.trim();
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.hostname === '' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new InvalidValueError('URL', input, HTTP_URL_EXPECTED);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidValueError('URL', input, HTTP_URL_NO_USERINFO);
  }
  return url.href.replace(/\/+$/, '');
}

const httpUrl: ValueKind<string> = {
  format: 'uri',
  label: 'URL',
  expected: HTTP_URL_EXPECTED,
  example: 'http://192.0.2.1:8080',
  parse: parseHttpUrl,
};

const INTERFACE_EXPECTED = 'a network interface name such as eth1 (1 to 15 characters)';

/** Linux IFNAMSIZ is 16 with the NUL, so 15 characters; `/` and whitespace cannot appear, `.`/`..` are taken. */
function parseInterfaceName(input: string): string {
  if (!/^[^\s/]{1,15}$/.test(input) || input === '.' || input === '..') {
    throw new InvalidValueError('interface name', input, INTERFACE_EXPECTED);
  }
  return input;
}

const interfaceName: ValueKind<string> = {
  format: 'interface-name',
  label: 'interface name',
  expected: INTERFACE_EXPECTED,
  example: 'eth1',
  parse: parseInterfaceName,
};

// RFC 1123 host names, lower case: the rule the DHCP codec will share (src/values/hostname.ts).
const dnsName: ValueKind<Hostname> = {
  format: 'dns-name',
  label: 'DNS name',
  expected: HOSTNAME_EXPECTED,
  example: 'lab.example.org',
  parse: parseHostname,
};

// Written into generated pxelinux and GRUB files (src/boot/render-*.ts), which refuse the same values.
const bootPath: ValueKind<string> = {
  format: 'boot-path',
  label: 'TFTP path',
  expected: BOOT_PATH_EXPECTED,
  example: 'debian-installer/amd64/linux',
  parse: parseBootPath,
};

const lineText: ValueKind<string> = {
  format: 'line-text',
  label: 'text (one line)',
  expected: LINE_TEXT_EXPECTED,
  example: 'auto=true priority=critical',
  parse: parseLineText,
};

const kernelArgs: ValueKind<string> = {
  format: 'kernel-args',
  label: 'kernel command line',
  expected: KERNEL_ARGS_EXPECTED,
  example: 'auto=true priority=critical',
  parse: parseKernelArgs,
};

const uuid: ValueKind<Uuid> = {
  format: 'uuid',
  label: 'UUID',
  expected: 'an SMBIOS UUID such as 4c4c4544-0032-3010-8052-b4c04f4e4432',
  example: '4c4c4544-0032-3010-8052-b4c04f4e4432',
  parse: parseUuid,
};

const labelValue: ValueKind<string> = {
  format: 'label-value',
  label: 'label value',
  expected: LABEL_VALUE_EXPECTED,
  example: 'r12',
  parse: parseLabelValue,
};

const profileName: ValueKind<string> = {
  format: 'profile-name',
  label: 'name',
  expected: PROFILE_NAME_EXPECTED,
  example: 'debian12-web',
  parse: parseProfileName,
};

const imageName: ValueKind<string> = {
  format: 'image-name',
  label: 'OS image name',
  expected: IMAGE_NAME_EXPECTED,
  example: 'debian-12-amd64',
  parse: parseImageName,
};

const TEMPLATE_EXPECTED =
  'a built-in template name (debian-preseed, ubuntu-autoinstall, kickstart) or a path to a template file ' +
  '(containing a /, such as ./templates/web.preseed)';

/**
 * A name without `/` is a built-in template (which ones exist is the answers module's to say, at `fleetboot
 * profiles check`); anything with a `/` is a file path, made absolute by the loader.
 */
function parseTemplateRef(input: string): string {
  const builtIn = /^[a-z0-9][a-z0-9-]*$/.test(input);
  const file = input.includes('/') && isLineText(input);
  if (!builtIn && !file) throw new InvalidValueError('answer template', input, TEMPLATE_EXPECTED);
  return input;
}

function isLineText(input: string): boolean {
  try {
    parseLineText(input);
    return true;
  } catch {
    return false;
  }
}

const answerTemplate: ValueKind<string> = {
  format: 'answer-template',
  label: 'template',
  expected: TEMPLATE_EXPECTED,
  example: 'debian-preseed',
  parse: parseTemplateRef,
};

/** Every kind, keyed by name; `format` values are unique so docs and errors can find a kind from a schema. */
export const KINDS = {
  ipv4,
  cidr,
  mac,
  hostPort,
  store,
  httpUrl,
  interfaceName,
  dnsName,
  bootPath,
  lineText,
  kernelArgs,
  uuid,
  labelValue,
  profileName,
  imageName,
  answerTemplate,
} as const;

export type KindName = keyof typeof KINDS;

export function kindByFormat(format: unknown): ValueKind<unknown> | undefined {
  return Object.values(KINDS).find((k: ValueKind<unknown>) => k.format === format);
}

/** The `expected …` phrase for `input`: the parser's own when it has a more precise one, else the kind's. */
export function expectedFor(kind: ValueKind<unknown>, input: unknown): string | undefined {
  if (typeof input !== 'string') return kind.expected;
  try {
    kind.parse(input);
    return undefined;
  } catch (error) {
    return error instanceof InvalidValueError ? error.expected : kind.expected;
  }
}
