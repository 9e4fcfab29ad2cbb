import { InvalidValueError } from './brand.js';

// Values written into generated boot configs (pxelinux, GRUB, iPXE). Both the configuration loader and the
// renderers check them with these functions, so what the loader accepts is exactly what the renderers write.

// C0 controls (CR, LF, NUL, TAB…), DEL, C1 controls, and Unicode's line and paragraph separators: nothing that any
// reader of the file (pxelinux, GRUB, a person with an editor) could take as the end of a line.
function hasLineBreaker(text: string): boolean {
  for (const char of text) {
    const c = char.codePointAt(0) ?? 0;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** pxelinux and GRUB take longer names, but TFTP names (and pxelinux's own buffers) stop near here. */
export const MAX_BOOT_PATH = 255;

export const LINE_TEXT_EXPECTED = 'text on one line, without control characters or line breaks';

/** Text that stays on its line: labels, titles, kernel command lines. Returns it unchanged. */
export function parseLineText(input: string): string {
  if (hasLineBreaker(input)) throw new InvalidValueError('line of text', input, LINE_TEXT_EXPECTED);
  return input;
}

export const KERNEL_ARGS_EXPECTED =
  'a kernel command line on one line, without control characters, quotes or backslashes';

/**
 * A kernel command line that every loader passes to the kernel as written. Quotes and backslashes are refused:
 * GRUB's `linux` command escapes `"`, `'` and `\` with a backslash when it joins its words into the command line
 * (grub_create_loader_cmdline), so `a="b c"` would reach a GRUB-loaded kernel as `a=\"b` `c\"` while pxelinux
 * hands it over unchanged. One plan must mean one command line whichever loader renders it.
 */
export function parseKernelArgs(input: string): string {
  parseLineText(input);
  if (/["'\\]/.test(input)) throw new InvalidValueError('kernel command line', input, KERNEL_ARGS_EXPECTED);
  return input;
}

// Printable ASCII without space (a path ends at whitespace in both languages), comma (pxelinux separates initrds
// with it), quotes and backslash (kept out so no quoting rule of any loader's language comes into play).
const PATH = /^[!#-&(-+\--[\]-~]+$/;

export const BOOT_PATH_EXPECTED =
  `a path on the TFTP server such as debian-installer/amd64/linux: 1 to ${MAX_BOOT_PATH} printable ASCII ` +
  'characters without spaces, commas, quotes, backslashes or ".." segments';

/** A path relative to the TFTP root; a leading `/` is dropped. */
export function parseBootPath(input: string): string {
  const relative = input.replace(/^\/+/, '');
  if (!PATH.test(relative) || relative.length > MAX_BOOT_PATH || relative.split('/').includes('..')) {
    throw new InvalidValueError('boot path', input, BOOT_PATH_EXPECTED);
  }
  return relative;
}
