import { InvalidValueError } from '../values/brand.js';
import { parseLineText } from '../values/boot-text.js';
import { parseHostname } from '../values/hostname.js';
import { CRYPT_HASH_EXPECTED, isCryptHash } from './crypt-hash.js';
import { FilterError } from './filter-error.js';

// The liquid filters of answer templates (catalogue H06, H07; design.md §8.5). Each is a pure function of one
// value that returns the text to write or throws a FilterError. Two kinds:
// - escaping filters, one per format, put any text into that format's syntax so it stays one value: `preseed`,
//   `shell`, `yaml`, `kickstart`;
// - validating filters refuse what is not a value of their kind: `hostname`, `password_hash`, `ssh_key`,
//   `username`, `package`, `disk`, `url_*`.
// A value written into a file passes through a validating filter when it has a kind, and always through the
// escaping filter of the file's format.

/** A scalar as text; lists, objects and missing values are an error (the template meant one value). */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) throw new FilterError('has no value');
  throw new FilterError(`is ${Array.isArray(value) ? 'a list' : 'an object'}, not a single value`);
}

/**
 * Refuses line breaks and control characters (values/boot-text.ts) without repeating the value: it may be a
 * secret that a template forgot to pass through password_hash.
 */
function oneLine(line: string): void {
  try {
    parseLineText(line);
  } catch {
    throw new FilterError('contains a line break or a control character; a value must stay on its line');
  }
}

/** Runs a values/ parser, turning its InvalidValueError into a FilterError with the same words. */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof InvalidValueError) throw new FilterError(error.message);
    throw error;
  }
}

/**
 * A preseed value (debconf-set-selections format): the rest of one line. A line break or control character would
 * end the value and start a line of the installer's choosing (`d-i preseed/late_command string …`), so it is an
 * error, never stripped: a hostname that arrives with a newline is garbage, not something to repair (catalogue
 * H07). A trailing backslash would join the next template line onto this value (the format's line continuation).
 */
export function preseed(value: unknown): string {
  const line = text(value);
  oneLine(line);
  if (line.endsWith('\\'))
    throw new FilterError('ends with a backslash, which would join the next line to it');
  return line;
}

/**
 * One word for a POSIX shell (late_command, %post, late-commands): single quotes, inside which nothing is special,
 * and `'\''` for a quote. NUL cannot be passed in a shell word at all. A line break stays inside the quotes; where
 * the command itself must stay on one line (a preseed value), the template also applies `preseed`.
 */
export function shell(value: unknown): string {
  const word = text(value);
  if (word.includes('\0')) throw new FilterError('contains a NUL character, which no shell word can hold');
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * A YAML double-quoted scalar holding exactly the text. JSON's string syntax is almost YAML's, but cloud-init reads
 * user-data with PyYAML (YAML 1.1), which takes U+0085, U+2028 and U+2029 as line breaks and refuses DEL, C1
 * controls and U+FFFE/U+FFFF anywhere in a stream. So everything outside printable ASCII is written as a `\u`/`\U`
 * escape, which both YAML versions and the `yaml` package read back to the same character.
 */
export function yaml(value: unknown): string {
  let out = '"';
  for (const char of text(value)) {
    const c = char.codePointAt(0) ?? 0;
    if (c >= 0xd800 && c <= 0xdfff)
      throw new FilterError('contains a lone UTF-16 surrogate, which is not text');
    if (char === '"' || char === '\\') out += `\\${char}`;
    else if (c >= 0x20 && c <= 0x7e) out += char;
    else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * One kickstart argument. pykickstart splits each command line with Python's `shlex.split` (POSIX rules), so the
 * shell's single quoting works; a line break would start a command of the value's choosing, so it is an error.
 */
export function kickstart(value: unknown): string {
  const word = text(value);
  oneLine(word);
  return shell(word);
}

/** An RFC 1123 host name (a single label or a fully qualified name), lower case (values/hostname.ts). */
export function hostname(value: unknown): string {
  const name = text(value);
  return parsed(() => parseHostname(name));
}

/** The first label of a host name: what the installer calls the machine (d-i netcfg/get_hostname). */
export function hostLabel(value: unknown): string {
  return hostname(value).split('.')[0] ?? '';
}

/** The domain part of a host name, empty when it has none (d-i netcfg/get_domain). */
export function hostDomain(value: unknown): string {
  return hostname(value).split('.').slice(1).join('.');
}

/**
 * A crypt(3) hash (catalogue S05): a plain password in a profile is an error and is never written. The message
 * does not repeat the value, which may be someone's real password.
 */
export function passwordHash(value: unknown): string {
  const hash = text(value);
  if (!isCryptHash(hash)) {
    throw new FilterError(
      `is not a password hash: expected ${CRYPT_HASH_EXPECTED}; a plain password is never written to an answer file`,
    );
  }
  return hash;
}

// OpenSSH's public key types (sshkey.c keytypes[]), without the certificate types. The comment is printable ASCII
// without a backslash, so the line can also be written with `echo` of any shell.
const SSH_KEY =
  /^(?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}(?: [\x20-\x5b\x5d-\x7e]*)?$/;

/** One authorized_keys line without options: `type base64 [comment]`. Refuses a private key or two keys in one. */
export function sshKey(value: unknown): string {
  const key = text(value).trim();
  if (!SSH_KEY.test(key)) {
    throw new FilterError(
      'is not an SSH public key: expected one line such as "ssh-ed25519 AAAA… user@host" (an authorized_keys ' +
        'line without options)',
    );
  }
  return key;
}

// useradd's default NAME_REGEX on Debian (adduser.conf) and shadow-utils' rule on RHEL, at most 32 characters.
const USERNAME = /^[a-z_][a-z0-9_-]{0,31}$/;

export function username(value: unknown): string {
  const name = text(value);
  if (!USERNAME.test(name) || name === 'root') {
    throw new FilterError(
      `${JSON.stringify(name)} is not a user name: expected lower-case letters, digits, "_" and "-", starting with ` +
        'a letter or "_", at most 32 characters, not root',
    );
  }
  return name;
}

// Debian policy §5.6.7 (lower case, digits, + - .), widened for RPM names (upper case, _) and kickstart's
// `@group`, `@^environment` and `-excluded` forms. No whitespace, quotes or shell characters in any of them.
const PACKAGE = /^(?:@\^?|-)?[A-Za-z0-9][A-Za-z0-9_.+:~-]*$/;

export function packageName(value: unknown): string {
  const name = text(value);
  if (!PACKAGE.test(name)) {
    throw new FilterError(`${JSON.stringify(name)} is not a package name such as openssh-server or @core`);
  }
  return name;
}

// A device path: /dev/sda, /dev/nvme0n1, /dev/disk/by-id/wwn-0x5000c500a0b1c2d3, /dev/disk/by-path/pci-0000:00:1f.2-ata-1.
const DISK = /^\/dev\/[A-Za-z0-9_.:+@-]+(?:\/[A-Za-z0-9_.:+@-]+)*$/;

export function disk(value: unknown): string {
  const path = text(value);
  if (!DISK.test(path) || path.split('/').some((part) => part === '..' || part === '.')) {
    throw new FilterError(
      `${JSON.stringify(path)} is not a disk: expected a device path such as /dev/sda or /dev/disk/by-id/…`,
    );
  }
  return path;
}

function httpUrl(value: unknown): URL {
  const raw = text(value);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FilterError(`${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FilterError(`${JSON.stringify(raw)} is not an http:// or https:// URL`);
  }
  return url;
}

/** `http` or `https`: d-i's mirror/protocol. */
export function urlScheme(value: unknown): string {
  return httpUrl(value).protocol.slice(0, -1);
}

/** `host[:port]`: d-i's mirror/http/hostname. */
export function urlHost(value: unknown): string {
  return httpUrl(value).host;
}

/** The path without a trailing slash, `/` for none: d-i's mirror/http/directory. */
export function urlPath(value: unknown): string {
  const path = httpUrl(value).pathname.replace(/\/+$/, '');
  return path === '' ? '/' : path;
}

/** Every filter by the name templates use. */
export const ANSWER_FILTERS: Readonly<Record<string, (value: unknown) => string>> = {
  preseed,
  shell,
  yaml,
  kickstart,
  hostname,
  host_label: hostLabel,
  host_domain: hostDomain,
  password_hash: passwordHash,
  ssh_key: sshKey,
  username,
  package: packageName,
  disk,
  url_scheme: urlScheme,
  url_host: urlHost,
  url_path: urlPath,
};
