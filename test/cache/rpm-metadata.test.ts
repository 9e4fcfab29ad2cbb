import { describe, expect, it } from 'vitest';
import { parsePrimary, parseRepomd, XmlMetadataError } from '../../src/cache/rpm-metadata.js';
import { bytes, primaryXml, repomdXml, sha256 } from './support.js';

const A = 'a'.repeat(64);

/** The text in chunks of `size` characters, as a stream would cut it (mid-tag, mid-entity). */
const chunked = (text: string, size: number): Buffer[] => {
  const data = Buffer.from(text);
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
};

describe('parseRepomd', () => {
  it('lists each metadata file by location, SHA-256 and size', async () => {
    const primary = bytes(100, 1);
    const filelists = bytes(50, 2);
    const xml = repomdXml({
      primary: [`repodata/${sha256(primary)}-primary.xml.gz`, primary],
      filelists: [`repodata/${sha256(filelists)}-filelists.xml.zst`, filelists],
    });
    expect(await parseRepomd(chunked(xml, 7))).toEqual([
      {
        type: 'primary',
        path: `repodata/${sha256(primary)}-primary.xml.gz`,
        sha256: sha256(primary),
        size: 100,
      },
      {
        type: 'filelists',
        path: `repodata/${sha256(filelists)}-filelists.xml.zst`,
        sha256: sha256(filelists),
        size: 50,
      },
    ]);
  });

  it('leaves out sha1 checksums, files elsewhere (xml:base) and paths that leave the repository', async () => {
    const entry = (checksum: string, location: string) =>
      `<data type="x">${checksum}${location}<size>3</size></data>`;
    const xml = `<repomd>${[
      entry(`<checksum type="sha">${'b'.repeat(40)}</checksum>`, '<location href="repodata/a.xml"/>'),
      entry(
        `<checksum type="sha256">${A}</checksum>`,
        '<location xml:base="http://x/" href="repodata/b.xml"/>',
      ),
      entry(`<checksum type="sha256">${A}</checksum>`, '<location href="../c.xml"/>'),
      entry(`<checksum type="sha256">${A}</checksum>`, '<location href="repodata/ok.xml"/>'),
    ].join('')}</repomd>`;
    expect((await parseRepomd([xml])).map((e) => e.path)).toEqual(['repodata/ok.xml']);
  });
});

describe('parsePrimary', () => {
  it('reads location, sha256 pkgid and package size of each package, across chunk boundaries', async () => {
    const files = {
      'Packages/a/a-1-1.noarch.rpm': bytes(10, 3),
      'Packages/b/b-1-1.noarch.rpm': bytes(20, 4),
    };
    const { files: read, skipped } = await parsePrimary(chunked(primaryXml(files), 13));
    expect(skipped).toBe(0);
    expect(read).toEqual(
      new Map(
        Object.entries(files).map(([href, body]) => [href, { size: body.length, sha256: sha256(body) }]),
      ),
    );
  });

  it('skips a package with a sha1 checksum or without a size, and keeps reading', async () => {
    const xml = `<metadata>
      <package type="rpm"><checksum type="sha">${'c'.repeat(40)}</checksum><size package="1"/><location href="x.rpm"/></package>
      <package type="rpm"><checksum type="sha256">${A}</checksum><location href="y.rpm"/></package>
      <package type="rpm"><checksum type="sha256">${A}</checksum><size package="5"/><location href="z.rpm"/></package>
    </metadata>`;
    const { files, skipped } = await parsePrimary([xml]);
    expect([...files.keys()]).toEqual(['z.rpm']);
    expect(skipped).toBe(2);
  });

  it('refuses a DOCTYPE (no entity is ever declared, so none can expand: no billion laughs, no XXE)', async () => {
    const laughs = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><metadata>&b;</metadata>`;
    await expect(parsePrimary([laughs])).rejects.toThrow(XmlMetadataError);
    const xxe = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><metadata>&x;</metadata>`;
    await expect(parsePrimary([xxe])).rejects.toThrow(/DOCTYPE/);
  });

  it('refuses an undefined entity, malformed XML, and an over-long value', async () => {
    await expect(parsePrimary(['<metadata>&x;</metadata>'])).rejects.toThrow(XmlMetadataError);
    await expect(parsePrimary(['<metadata><package></metadata>'])).rejects.toThrow(XmlMetadataError);
    const long = `<metadata><package><checksum type="sha256">${'a'.repeat(10_000)}</checksum></package></metadata>`;
    await expect(parsePrimary([long])).rejects.toThrow(/longer/);
  });
});
