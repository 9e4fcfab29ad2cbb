import { MAX_FILENAME_BYTES } from './limits.js';

/**
 * Why a requested file name was refused: a word for the drop counter and the transfer's event. Each one can be
 * answered with ERROR 2 (access violation), which catalogue T07 allows.
 * - `empty`: nothing left to name a file (``, `/`, `./`, `C:`).
 * - `too-long`: over `MAX_FILENAME_BYTES`.
 * - `control-character`: an octet below 0x20 (NUL included) or DEL.
 * - `parent-segment`: a `..` segment anywhere, in either slash.
 */
export type TftpPathRejection = 'empty' | 'too-long' | 'control-character' | 'parent-segment';

export type TftpPathResult =
  | { readonly ok: true; readonly relative: string }
  | { readonly ok: false; readonly reason: TftpPathRejection };

// tftpd-hpa path.c `is_valid_char` refuses octets below 0x20 (its comment adds 127); a NUL can only arrive inside a
// name through a bug, and would cut the name short in any C library call.
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

// A Windows drive (`C:\x`, `c:/x`, `C:`) is a first segment of a letter and a colon: `C:x` is one ordinary name
// inside the root, and is left alone.
const DRIVE = /^[A-Za-z]:$/;

/**
 * The path, relative to a served root, that a TFTP file name stands for; or why it stands for none. Pure, on the
 * string alone: the engine then joins it to the root, resolves symlinks with realpath, checks `isInside`, and
 * serves regular files only (reliability-catalogue §5 "path traversal", T07, S09).
 *
 * - `\` becomes `/`: Windows-style clients send backslashes (dnsmasq tftp.c "cope with backslashes from windows
 *   boxen"; protocol-digest §4.5).
 * - Leading drive segments are dropped (catalogue §5: "strip drive letters"), after the slashes below, so that
 *   `/C:/x` and `C:/C:/x` end up the same as `C:\x` and the result never starts with one (resolving it again
 *   gives it back unchanged).
 * - Leading `/` is dropped: a name is always relative to the root. GRUB asks for `/grub/grub.cfg` and
 *   `/debian-installer/amd64/linux` (Debian's signed GRUB has the prefix `/grub`; its grub.cfg names files
 *   "absolute from the TFTP root", protocol-digest §5.3–5.4) and means the root: tftpd-hpa `--secure` chroots so
 *   `/x` is the root's `x` (in.tftpd(8)), and dnsmasq with a tftp-root drops the `/` (tftp.c). Unlike dnsmasq, a
 *   name that starts with the root's own host path is not taken as that host path.
 * - Empty segments (`//`) and `.` segments are collapsed.
 * - Any `..` segment refuses the whole name. It is never resolved, even when it would stay inside the root
 *   (`a/../b`): no client needs it, and a rule with no exception is one that holds (protocol-digest §4.5).
 * - Nothing is decoded. A TFTP file name is not a URI, so `%2e%2e` is a literal file called `%2e%2e` and `%00` is
 *   three characters; the decoder maps one octet to one character, so UTF-8 overlongs (`0xC0 0xAF`) never become
 *   `/`. A segment of three or more dots (`....`) is an ordinary name on Linux and is kept.
 * - Pxelinux and GRUB names pass unchanged: `pxelinux.cfg/01-52-54-00-12-34-56`, `pxelinux.cfg/C0A8010A`,
 *   `pxelinux.cfg/<uuid>`, `grub.cfg-01-52-54-00-ec-33-81`.
 */
export function resolveTftpPath(requested: string): TftpPathResult {
  if (requested.length === 0) return refuse('empty');
  if (requested.length > MAX_FILENAME_BYTES) return refuse('too-long');
  if (hasControlCharacter(requested)) return refuse('control-character');
  const segments: string[] = [];
  for (const segment of requested.replaceAll('\\', '/').split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') return refuse('parent-segment');
    if (segments.length === 0 && DRIVE.test(segment)) continue;
    segments.push(segment);
  }
  if (segments.length === 0) return refuse('empty');
  return { ok: true, relative: segments.join('/') };
}

function refuse(reason: TftpPathRejection): TftpPathResult {
  return { ok: false, reason };
}

/**
 * Whether `realPath` lies strictly under `root`, both as `realpath()` returns them: absolute, no trailing slash,
 * no `.`, `..` or empty segment. Anything else is refused rather than interpreted (fails closed), and so is the
 * root itself, which is a directory and never a file to serve. A string comparison on segment boundaries:
 * `/srv/tftp-other` is not inside `/srv/tftp`.
 */
export function isInside(root: string, realPath: string): boolean {
  if (!isCanonicalAbsolute(root) || !isCanonicalAbsolute(realPath)) return false;
  const prefix = root === '/' ? '/' : `${root}/`;
  return realPath.length > prefix.length && realPath.startsWith(prefix);
}

function isCanonicalAbsolute(path: string): boolean {
  if (!path.startsWith('/') || path.includes('\u0000')) return false;
  if (path === '/') return true;
  return path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
