import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FILENAME_BYTES } from '../../../src/protocol/tftp/limits.js';
import type { TftpPathRejection } from '../../../src/protocol/tftp/path.js';
import { isInside, resolveTftpPath } from '../../../src/protocol/tftp/path.js';

describe('resolveTftpPath: the catalogue traversal set (T07, S09; reliability-catalogue §5)', () => {
  it.each<[string, TftpPathRejection]>([
    ['../etc/passwd', 'parent-segment'],
    ['..\\..\\etc\\passwd', 'parent-segment'],
    ['boot/../../x', 'parent-segment'],
    ['boot/..', 'parent-segment'],
    ['a/../b', 'parent-segment'],
    ['..', 'parent-segment'],
    ['/..', 'parent-segment'],
    ['C:\\..\\x', 'parent-segment'],
    ['./../x', 'parent-segment'],
    ['a\u0000b', 'control-character'],
    ['pxelinux.0\u0000.cfg', 'control-character'],
    ['a\tb', 'control-character'],
    ['a\nb', 'control-character'],
    ['\u001f', 'control-character'],
    ['a\u007fb', 'control-character'],
    ['', 'empty'],
    ['/', 'empty'],
    ['//', 'empty'],
    ['./', 'empty'],
    ['\\', 'empty'],
    ['C:', 'empty'],
    ['C:\\', 'empty'],
    ['x'.repeat(MAX_FILENAME_BYTES + 1), 'too-long'],
  ])('%j is refused: %s', (requested, reason) => {
    expect(resolveTftpPath(requested)).toEqual({ ok: false, reason });
  });

  it.each([
    // Absolute names mean the served root, never the host's root (tftpd-hpa --secure, dnsmasq tftp-root).
    ['/etc/passwd', 'etc/passwd'],
    ['//etc/passwd', 'etc/passwd'],
    ['/pxelinux.0', 'pxelinux.0'],
    ['/debian-installer/amd64/linux', 'debian-installer/amd64/linux'],
    // Drive letters and UNC prefixes are dropped; what is left stays under the root.
    ['C:\\x', 'x'],
    ['c:/x', 'x'],
    ['C:x', 'C:x'],
    ['/C:/x', 'x'],
    ['C:/c:/x', 'x'],
    ['a/C:', 'a/C:'],
    ['\\\\srv\\share\\x', 'srv/share/x'],
    ['boot\\x86\\wdsnbp.com', 'boot/x86/wdsnbp.com'],
    // Nothing is percent-decoded: these are literal names that do not exist (ERR 1).
    ['.%2e/x', '.%2e/x'],
    ['%2e%2e/%2e%2e/etc/passwd', '%2e%2e/%2e%2e/etc/passwd'],
    ['%00', '%00'],
    ['..%c0%af', '..%c0%af'],
    ['..%2f..%2fetc', '..%2f..%2fetc'],
    // Raw UTF-8 overlong octets stay octets (the decoder maps one octet to one character).
    ['..\u00c0\u00afetc', '..\u00c0\u00afetc'],
    // More than two dots is an ordinary name on Linux.
    ['....//x', '..../x'],
    ['.../x', '.../x'],
    ['./pxelinux.0', 'pxelinux.0'],
    ['a//b/./c/', 'a/b/c'],
    ['x'.repeat(MAX_FILENAME_BYTES), 'x'.repeat(MAX_FILENAME_BYTES)],
  ])('%j → %j', (requested, relative) => {
    expect(resolveTftpPath(requested)).toEqual({ ok: true, relative });
  });
});

describe('resolveTftpPath: boot-loader names pass unchanged (protocol-digest §5.1, §6)', () => {
  it.each([
    'pxelinux.0',
    'ldlinux.c32',
    'pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d',
    'pxelinux.cfg/0a5e2f8c-3d1b-6f4e-8a9b-0c1d2e3f4a5b',
    'pxelinux.cfg/01-52-54-00-12-34-56',
    'pxelinux.cfg/01-88-99-aa-bb-cc-dd',
    'pxelinux.cfg/C0A8010A',
    'pxelinux.cfg/C0A801',
    'pxelinux.cfg/C',
    'pxelinux.cfg/default',
    'debian-installer/amd64/bootnetx64.efi',
    'debian-installer/amd64/grub/grub.cfg',
    'grub/grub.cfg-01-52-54-00-ec-33-81',
    'grub/grub.cfg-0A000082',
    'grub/x86_64-efi/command.lst',
    'host/52:54:00:12:34:56.cfg',
    'undionly.kpxe',
    'snponly.efi',
  ])('%s', (name) => {
    expect(resolveTftpPath(name)).toEqual({ ok: true, relative: name });
  });
});

describe('isInside (after realpath: both absolute and canonical)', () => {
  it.each([
    ['/srv/tftp', '/srv/tftp/pxelinux.0', true],
    ['/srv/tftp', '/srv/tftp/pxelinux.cfg/default', true],
    ['/', '/x', true],
    ['/srv/tftp', '/srv/tftp', false],
    ['/', '/', false],
    ['/srv/tftp', '/srv/tftp-other/x', false],
    ['/srv/tftp', '/srv/tftpx', false],
    ['/srv/tftp', '/etc/passwd', false],
    ['/srv/tftp', '/srv', false],
    ['/srv/tftp', '/srv/tftp/../etc/passwd', false],
    ['/srv/tftp', '/srv/tftp/./x', false],
    ['/srv/tftp', '/srv/tftp//x', false],
    ['/srv/tftp', '/srv/tftp/x/', false],
    ['/srv/tftp', '/srv/tftp/x\u0000', false],
    ['/srv/tftp/', '/srv/tftp/x', false],
    ['srv/tftp', 'srv/tftp/x', false],
    ['/srv/tftp', 'srv/tftp/x', false],
    ['', '/x', false],
  ])('isInside(%j, %j) is %s', (root, realPath, inside) => {
    expect(isInside(root, realPath)).toBe(inside);
  });
});

/** Strings made of the pieces traversal attempts are built from, so the property meets them often. */
const hostileArb = fc
  .array(
    fc.constantFrom(
      '..',
      '.',
      '/',
      '\\',
      '//',
      'C:',
      'c:\\',
      'a',
      'etc',
      '%2e',
      '%2f',
      '\u0000',
      '\u00c0\u00af',
      ' ',
    ),
    { maxLength: 20 },
  )
  .map((pieces) => pieces.join(''));

const anyStringArb = fc.oneof(
  hostileArb,
  fc.string({ unit: 'binary-ascii', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

describe('resolveTftpPath properties', () => {
  it('never returns a `..` segment, a leading `/`, a backslash, NUL or any control character', () => {
    fc.assert(
      fc.property(anyStringArb, (requested) => {
        const result = resolveTftpPath(requested);
        if (!result.ok) return;
        const { relative } = result;
        expect(relative.split('/')).not.toContain('..');
        expect(relative.startsWith('/')).toBe(false);
        expect(relative).not.toContain('\\');
        const codes = Array.from({ length: relative.length }, (_, i) => relative.charCodeAt(i));
        expect(codes.some((c) => c < 0x20 || c === 0x7f)).toBe(false);
        expect(relative.split('/').every((s) => s !== '' && s !== '.')).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('is idempotent, and what it returns joined to a canonical root is inside that root', () => {
    fc.assert(
      fc.property(anyStringArb, (requested) => {
        const result = resolveTftpPath(requested);
        if (!result.ok) return;
        expect(resolveTftpPath(result.relative)).toEqual(result);
        expect(isInside('/srv/tftp', `/srv/tftp/${result.relative}`)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
