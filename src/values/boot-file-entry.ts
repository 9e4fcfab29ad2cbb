import { InvalidValueError } from './brand.js';
import { parseBootPath } from './boot-text.js';

/** In a boot file entry, replaced by the reply's server address (siaddr), so one table serves every interface. */
export const NEXT_SERVER_TOKEN = '{next-server}';

// RFC 2131 §2: `file` is 128 octets, NUL-terminated; pxelinux's limit is 127 characters (protocol-digest §2.6).
export const FILE_FIELD_TEXT = 127;

/** The longest text `{next-server}` can become: checks hold for every server address. */
const LONGEST_ADDRESS = '255.255.255.255';

export const BOOT_FILE_EXPECTED =
  `a TFTP path such as ipxe/snponly.efi or an http(s) URL, at most ${FILE_FIELD_TEXT} printable characters ` +
  `once ${NEXT_SERVER_TOKEN} is replaced by an address`;
export const BOOT_URL_EXPECTED =
  `an http(s) URL such as http://${NEXT_SERVER_TOKEN}:8080/boot/snponly.efi (UEFI HTTP boot takes ` +
  `nothing else), at most ${FILE_FIELD_TEXT} characters`;

export function isHttpUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/**
 * A boot file table entry (boot/boot-file.ts): what goes into the BOOTP `file` field, so it fits its 127
 * printable characters for every address `{next-server}` may become. A URL must parse and carry no user name or
 * password (every booting machine reads it); a TFTP path follows parseBootPath (no `..`, spaces or quotes) and
 * loses a leading `/`. With `urlOnly`, a TFTP path is refused (UEFI HTTP boot, protocol-digest §2.7). Returns the
 * entry as the table keeps it.
 */
export function parseBootFileEntry(input: string, { urlOnly = false } = {}): string {
  const expected = urlOnly ? BOOT_URL_EXPECTED : BOOT_FILE_EXPECTED;
  const text = input.split(NEXT_SERVER_TOKEN).join(LONGEST_ADDRESS);
  if (text.length === 0 || text.length > FILE_FIELD_TEXT || !/^[\x21-\x7e]+$/.test(text)) {
    throw new InvalidValueError('boot file', input, expected);
  }
  if (isHttpUrl(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidValueError('boot file URL', input, expected);
    }
    if (url.username !== '' || url.password !== '') {
      throw new InvalidValueError('boot file URL', input, 'a URL without a user name or password');
    }
    return input;
  }
  if (urlOnly) throw new InvalidValueError('boot file URL', input, expected);
  try {
    parseBootPath(text);
  } catch {
    throw new InvalidValueError('boot file', input, expected);
  }
  return input.replace(/^\/+/, '');
}
