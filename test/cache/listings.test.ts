import { describe, expect, it } from 'vitest';
import { GENERATIONS_PER_PATH, Listings, matchListed } from '../../src/cache/listings.js';
import { parseReleaseFile, parseSha256Sums, signedText } from '../../src/cache/release-file.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('Release files', () => {
  it('reads the SHA256 field of a clear-signed InRelease, undoing dash-escapes (RFC 4880 §7)', () => {
    const inRelease = [
      '-----BEGIN PGP SIGNED MESSAGE-----',
      'Hash: SHA512',
      '',
      'Origin: Debian',
      'MD5Sum:',
      ` ${'c'.repeat(32)} 10 main/binary-amd64/Packages`,
      'SHA256:',
      ` ${A}   1234 main/binary-amd64/Packages`,
      ` ${B.toUpperCase()} 99 main/binary-amd64/Packages.xz`,
      ` ${A} 1 ../../etc/passwd`,
      ` ${A} x main/bad-size`,
      ' short 1 main/bad-hash',
      '- -----not a header, dash-escaped',
      '-----BEGIN PGP SIGNATURE-----',
      '',
      'iQ==',
      '-----END PGP SIGNATURE-----',
      '',
    ].join('\r\n');
    expect(signedText(inRelease).split('\n').at(-1)).toBe('-----not a header, dash-escaped');
    expect(parseReleaseFile(inRelease)).toEqual([
      { path: 'main/binary-amd64/Packages', sha256: A, size: 1234 },
      { path: 'main/binary-amd64/Packages.xz', sha256: B, size: 99 },
    ]);
  });

  it('reads a plain Release, and nothing from a file without a SHA256 field', () => {
    expect(parseReleaseFile(`Suite: t\nSHA256:\n ${A} 5 main/i18n/Translation-en\n`)).toEqual([
      { path: 'main/i18n/Translation-en', sha256: A, size: 5 },
    ]);
    expect(parseReleaseFile('Archive: bookworm\nComponent: main\nArchitecture: amd64\n')).toEqual([]);
  });

  it('reads an installer SHA256SUMS (sha256sum output, ./ prefixes)', () => {
    const text = `${A}  ./netboot/netboot.tar.gz\n${B} *./cdrom/vmlinuz\n${A}  ../escape\nnot a line\n`;
    expect(parseSha256Sums(text)).toEqual([
      { path: 'netboot/netboot.tar.gz', sha256: A },
      { path: 'cdrom/vmlinuz', sha256: B },
    ]);
  });
});

describe('Listings', () => {
  it('knows each listed file under its path and, for Acquire-By-Hash, under by-hash/SHA256/<hash>', () => {
    const listings = new Listings();
    const named = listings.add(
      'debian',
      'dists/t',
      'dists/t/InRelease',
      [{ path: 'main/binary-amd64/Packages.xz', sha256: A, size: 7 }],
      { byHash: true },
    );
    expect(named).toEqual([
      'dists/t/main/binary-amd64/Packages.xz',
      `dists/t/main/binary-amd64/by-hash/SHA256/${A}`,
    ]);
    const facts = listings.lookup('debian', `dists/t/main/binary-amd64/by-hash/SHA256/${A}`);
    expect(facts).toEqual([
      { sha256: A, size: 7, name: 'dists/t/main/binary-amd64/Packages.xz', listedIn: 'dists/t/InRelease' },
    ]);
    expect(listings.lookup('other', 'dists/t/main/binary-amd64/Packages.xz')).toEqual([]);
  });

  it('accepts a few generations of one path, newest first, and matches size too', () => {
    const listings = new Listings();
    const hashes = Array.from({ length: GENERATIONS_PER_PATH + 1 }, (_, i) => String(i).repeat(64));
    for (const h of hashes) listings.add('r', '', 'Release', [{ path: 'Packages', sha256: h, size: 3 }]);
    const known = listings.lookup('r', 'Packages');
    expect(known.map((f) => f.sha256)).toEqual(hashes.slice(1).reverse());
    expect(matchListed(known, hashes[1] ?? '', 3)).toBeDefined();
    expect(matchListed(known, hashes[1] ?? '', 4)).toBeUndefined();
    expect(matchListed(known, hashes[0] ?? '', 3)).toBeUndefined();
  });
});
