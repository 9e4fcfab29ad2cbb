// The TFTP file source shares one search of the roots among the requests for a path that arrive while it runs
// (tftp-files.ts, coalescedSearch). The real lookUpInRoot runs in every case; the spy only counts its calls (and,
// in one case, fails a call, as a file system error would).
import { renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TftpOpenResult } from '../../src/net/tftp-file.js';
import { createTftpFileSource } from '../../src/net/tftp-files.js';
import { HotFileCache } from '../../src/net/tftp-hot-cache.js';
import * as rootFile from '../../src/net/tftp-root-file.js';
import { makeTree, type TftpTree } from './tftp-fixtures/fs.js';

vi.mock('../../src/net/tftp-root-file.js', async (importOriginal) => {
  const real = await importOriginal<typeof rootFile>();
  return { ...real, lookUpInRoot: vi.fn(real.lookUpInRoot) };
});
const lookUpInRoot = vi.mocked(rootFile.lookUpInRoot);

const client = { address: '192.0.2.10', port: 2070 };
let tree: TftpTree;
beforeEach(() => {
  tree = makeTree();
  lookUpInRoot.mockClear();
});
afterEach(() => {
  tree.remove();
});

async function contents(results: readonly TftpOpenResult[]): Promise<string[]> {
  return Promise.all(
    results.map(async (result) => {
      if (result.kind !== 'file') return `refused: ${result.reason}`;
      try {
        return Buffer.from(await result.file.read(0, result.file.size)).toString();
      } finally {
        await result.file.close();
      }
    }),
  );
}

function openTogether(files: ReturnType<typeof createTftpFileSource>, name: string, count: number) {
  return Promise.all(
    Array.from({ length: count }, (_, i) => files.open(name, { ...client, port: 2000 + i })),
  );
}

describe('TFTP file source: one search of the roots for requests that arrive together', () => {
  it('searches each root once for 20 requests of one path, and serves every one of them', async () => {
    const second = path.join(tree.base, 'second');
    tree.write('pxelinux.0', 'loader', second);
    const files = createTftpFileSource({ roots: [tree.root, second], cache: new HotFileCache() });
    const results = await openTogether(files, 'pxelinux.0', 20);
    expect(await contents(results)).toEqual(Array<string>(20).fill('loader'));
    // Absent from the first root, found in the second: two lookups in all, not forty.
    expect(lookUpInRoot.mock.calls.map(([root]) => root)).toEqual([tree.root, second]);
  });

  it('searches separately for different paths, and again for a request after the search settled', async () => {
    tree.write('a', 'one');
    tree.write('b', 'two');
    const files = createTftpFileSource({ roots: [tree.root] });
    expect(await contents(await Promise.all([files.open('a', client), files.open('b', client)]))).toEqual([
      'one',
      'two',
    ]);
    expect(lookUpInRoot).toHaveBeenCalledTimes(2);
    // Replaced (a new inode, as a deployment does): nothing of the first search is remembered.
    tree.write('a.new', 'one, updated');
    renameSync(path.join(tree.root, 'a.new'), path.join(tree.root, 'a'));
    expect(await contents([await files.open('a', client)])).toEqual(['one, updated']);
    expect(lookUpInRoot).toHaveBeenCalledTimes(3);
  });

  it('gives every request of the search its refusal: a symlink out of the root refused 10 times, looked up once', async () => {
    symlinkSync(tree.outside, path.join(tree.root, 'escape'));
    const files = createTftpFileSource({ roots: [tree.root] });
    const results = await openTogether(files, 'escape', 10);
    expect(results).toEqual(Array<TftpOpenResult>(10).fill({ kind: 'refused', reason: 'outside-root' }));
    expect(lookUpInRoot).toHaveBeenCalledTimes(1);
  });

  it('answers a failed search with read-error to all who waited for it, and searches afresh for the next', async () => {
    tree.write('pxelinux.0', 'loader');
    const files = createTftpFileSource({ roots: [tree.root] });
    lookUpInRoot.mockRejectedValueOnce(new Error('EIO: the disk failed'));
    const results = await openTogether(files, 'pxelinux.0', 5);
    expect(results).toEqual(Array<TftpOpenResult>(5).fill({ kind: 'refused', reason: 'read-error' }));
    expect(await contents([await files.open('pxelinux.0', client)])).toEqual(['loader']);
    expect(lookUpInRoot).toHaveBeenCalledTimes(2);
  });

  it("shares only the roots' search: a virtual file answers its client while others fall through to the roots", async () => {
    tree.write('pxelinux.cfg/default', 'from the root');
    // The policy answers 192.0.2.1 itself and leaves everyone else to the roots, as the per-machine
    // pxelinux.cfg/default does for a machine the inventory knows and one it does not.
    const files = createTftpFileSource({
      roots: [tree.root],
      virtualFiles: (_relative, from) =>
        Promise.resolve(from.address === '192.0.2.1' ? Buffer.from('generated for 192.0.2.1') : undefined),
    });
    const results = await Promise.all([
      files.open('pxelinux.cfg/default', { address: '192.0.2.2', port: 2001 }),
      files.open('pxelinux.cfg/default', { address: '192.0.2.1', port: 2002 }),
      files.open('pxelinux.cfg/default', { address: '192.0.2.3', port: 2003 }),
    ]);
    expect(await contents(results)).toEqual(['from the root', 'generated for 192.0.2.1', 'from the root']);
    expect(lookUpInRoot).toHaveBeenCalledTimes(1);
  });

  it('lets a request that arrives while a search is held open join it, and searches afresh once it settled', async () => {
    tree.write('pxelinux.0', 'loader');
    const files = createTftpFileSource({ roots: [tree.root] });
    const release = holdNextLookUp();
    try {
      const first = files.open('pxelinux.0', { ...client, port: 3001 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const late = files.open('pxelinux.0', { ...client, port: 3002 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(lookUpInRoot).toHaveBeenCalledTimes(1);
      release();
      expect(await contents(await Promise.all([first, late]))).toEqual(['loader', 'loader']);
      expect(lookUpInRoot).toHaveBeenCalledTimes(1);
      expect(await contents([await files.open('pxelinux.0', client)])).toEqual(['loader']);
      expect(lookUpInRoot).toHaveBeenCalledTimes(2);
    } finally {
      release();
    }
  });

  it('refuses as changed, for every request that shared it, a file replaced while its search was under way', async () => {
    tree.write('pxelinux.0', 'loader');
    const files = createTftpFileSource({ roots: [tree.root] });
    const release = holdNextLookUp();
    try {
      const results = openTogether(files, 'pxelinux.0', 3);
      await new Promise((resolve) => setTimeout(resolve, 20));
      // Replaced by a new inode (a deployment's rename) after the search found the old one: never the old bytes
      // for one request and the new for another, nor a mix.
      tree.write('pxelinux.0.new', 'loader, updated');
      renameSync(path.join(tree.root, 'pxelinux.0.new'), path.join(tree.root, 'pxelinux.0'));
      release();
      expect(await results).toEqual(Array<TftpOpenResult>(3).fill({ kind: 'refused', reason: 'changed' }));
      expect(await contents([await files.open('pxelinux.0', client)])).toEqual(['loader, updated']);
    } finally {
      release();
    }
  });
});

/**
 * Makes the next lookUpInRoot the real one whose answer is held until the returned function is called: a search the
 * thread pool is slow to finish.
 */
function holdNextLookUp(): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const real = lookUpInRoot.getMockImplementation();
  if (real === undefined) throw new Error('lookUpInRoot lost its implementation');
  lookUpInRoot.mockImplementationOnce(async (...args) => {
    const found = await real(...args);
    await gate;
    return found;
  });
  return release;
}
