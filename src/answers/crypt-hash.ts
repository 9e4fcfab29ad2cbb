// The password hashes an answer file may carry (catalogue S05: crypt hashes, never plain text). These are the
// crypt(3) schemes that every installer fleetboot answers can set directly: debian-installer's
// passwd/*-password-crypted, subiquity's identity.password and Anaconda's `rootpw --iscrypted` / `user --iscrypted`
// all hand the string to the target's libcrypt (libxcrypt on Debian 12, Ubuntu 22.04+ and RHEL 9).

const B64 = '[./0-9A-Za-z]';

/**
 * sha256crypt `$5$`, sha512crypt `$6$` (optionally with `rounds=N$`; a salt of at most 16 characters) and yescrypt
 * `$y$` (parameters, salt, 43-character hash), as `mkpasswd -m sha-512|yescrypt` and `openssl passwd -6` print them.
 */
const CRYPT_HASH = new RegExp(
  `^(?:\\$5\\$(?:rounds=\\d{1,9}\\$)?${B64}{1,16}\\$${B64}{43}` +
    `|\\$6\\$(?:rounds=\\d{1,9}\\$)?${B64}{1,16}\\$${B64}{86}` +
    `|\\$y\\$${B64}+\\$${B64}+\\$${B64}{43})$`,
);

export const CRYPT_HASH_EXPECTED =
  'a crypt(3) password hash such as `mkpasswd -m yescrypt` or `openssl passwd -6` prints ($y$…, $6$…, $5$…)';

export function isCryptHash(text: string): boolean {
  return CRYPT_HASH.test(text);
}
