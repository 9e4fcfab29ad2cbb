import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, renameSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TftpFile, TftpOpenResult } from '../../src/net/tftp-file.js';
import {
  createTftpFileSource,
  type TftpFileSourceOptions,
  VIRTUAL_NOT_FOUND,
} from '../../src/net/tftp-files.js';
import { HotFileCache } from '../../src/net/tftp-hot-cache.js';
import { lookUpInRoot, openFound, RootFileRefused } from '../../src/net/tftp-root-file.js';
import { makeTree, openFds, patterned, type TftpTree } from './tftp-fixtures/fs.js';

const client = { address: '192.0.2.10', port: 2070 };
let tree: TftpTree;
beforeEach(() => {
  tree = makeTree();
});
afterEach(() => {
  tree.remove();
});

const source = (options: Partial<TftpFileSourceOptions> = {}) =>
  createTftpFileSource({ roots: [tree.root], ...options });

async function readAll(file: TftpFile): Promise<string> {
  return Buffer.from(await file.read(0, file.size)).toString();
}

function expectRefused(result: TftpOpenResult, reason: string): void {
  expect(result).toEqual({ kind: 'refused', reason });
}

describe('TFTP file source: roots', () => {
  it('serves a regular file under the root, by its canonical name', async () => {
    tree.write('boot/pxelinux.0', 'loader');
    for (const name of ['boot/pxelinux.0', '/boot/pxelinux.0', 'boot\\pxelinux.0', 'C:\\boot\\pxelinux.0']) {
      const result = await source().open(name, client);
      if (result.kind !== 'file') throw new Error(`${name}: ${result.reason}`);
      expect(result.file).toMatchObject({ path: 'boot/pxelinux.0', origin: 'root', size: 6 });
      expect(await readAll(result.file)).toBe('loader');
      await result.file.close();
    }
  });

  it('searches the roots in order and answers not-found when none has the file', async () => {
    const second = path.join(tree.base, 'second');
    tree.write('only-in-second', 'two', second);
    tree.write('in-both', 'one');
    tree.write('in-both', 'two', second);
    const files = source({ roots: [path.join(tree.base, 'missing-root'), tree.root, second] });
    for (const [name, expected] of [
      ['only-in-second', 'two'],
      ['in-both', 'one'],
    ] as const) {
      const result = await files.open(name, client);
      if (result.kind !== 'file') throw new Error(result.reason);
      expect(await readAll(result.file)).toBe(expected);
      await result.file.close();
    }
    expectRefused(await files.open('nowhere', client), 'not-found');
  });

  // Catalogue T07: every traversal name, and every way out of the root through the file system; the canary never
  // comes back.
  const names = [
    ['../etc/passwd', 'parent-segment'],
    ['..\\..\\etc\\passwd', 'parent-segment'],
    ['boot/../../x', 'parent-segment'],
    ['boot/..', 'parent-segment'],
    ['../secret.txt', 'parent-segment'],
    ['/etc/passwd', 'not-found'],
    ['//etc/passwd', 'not-found'],
    ['....//x', 'not-found'],
    ['.%2e/x', 'not-found'],
    ['C:\\x', 'not-found'],
    ['c:/x', 'not-found'],
    ['\\\\srv\\share\\x', 'not-found'],
    ['%00', 'not-found'],
    ['..\u00c0\u00af', 'not-found'],
    ['a\u0000b', 'control-character'],
    ['', 'empty'],
    ['/', 'empty'],
  ] as const;
  it.each(names)('T07 %j → %s', async (name, reason) => {
    expectRefused(await source().open(name, client), reason);
  });

  it('T07: refuses a symlink that leaves the root, and does not fall through to the next root', async () => {
    symlinkSync(tree.outside, path.join(tree.root, 'escape'));
    symlinkSync('..', path.join(tree.root, 'up'));
    const second = path.join(tree.base, 'second');
    tree.write('escape', 'harmless', second);
    const files = source({ roots: [tree.root, second] });
    expectRefused(await files.open('escape', client), 'outside-root');
    expectRefused(await files.open('up/secret.txt', client), 'outside-root');
  });

  it('checks confinement twice: at lookup (realpath) and on the open descriptor (/proc/self/fd)', async () => {
    symlinkSync(tree.outside, path.join(tree.root, 'escape'));
    const policy = { refuseHardLinks: true, requireWorldReadable: true };
    expect(await lookUpInRoot(tree.root, 'escape', policy)).toEqual({
      kind: 'refused',
      reason: 'outside-root',
    });
    // A lookup whose answer went stale (a directory swapped for a symlink after realpath) is caught on the open.
    const outside = await lookUpInRoot(tree.base, 'secret.txt', policy);
    if (outside.kind !== 'found') throw new Error(outside.kind);
    await expect(openFound({ ...outside, root: tree.root })).rejects.toEqual(
      new RootFileRefused('outside-root'),
    );
  });

  it('follows a symlink that stays inside the root (the Debian netboot tree is made of them)', async () => {
    tree.write('debian-installer/amd64/pxelinux.0', 'pxe');
    symlinkSync('debian-installer/amd64/pxelinux.0', path.join(tree.root, 'pxelinux.0'));
    const result = await source().open('pxelinux.0', client);
    if (result.kind !== 'file') throw new Error(result.reason);
    expect(result.file.realPath).toBe(path.join(tree.root, 'debian-installer/amd64/pxelinux.0'));
    await result.file.close();
  });

  it('T07: refuses a directory, a FIFO (without blocking on it) and a device', async () => {
    mkdirSync(path.join(tree.root, 'dir'));
    execFileSync('mkfifo', [path.join(tree.root, 'fifo')]);
    execFileSync('mknod', [path.join(tree.root, 'null'), 'c', '1', '3']);
    chmodSync(path.join(tree.root, 'fifo'), 0o644);
    chmodSync(path.join(tree.root, 'null'), 0o644);
    for (const name of ['dir', 'fifo', 'null']) {
      expectRefused(await source().open(name, client), 'not-regular-file');
    }
  });

  it('T07: refuses a hard link by default, and allows it when told', async () => {
    linkSync(tree.outside, path.join(tree.root, 'linked'));
    expectRefused(await source().open('linked', client), 'hard-link');
    const allowed = await source({ refuseHardLinks: false }).open('linked', client);
    expect(allowed.kind).toBe('file');
    if (allowed.kind === 'file') await allowed.file.close();
  });

  it('refuses a file others may not read, unless told (tftpd-hpa --permissive)', async () => {
    const file = tree.write('private', 'x');
    chmodSync(file, 0o600);
    expectRefused(await source().open('private', client), 'not-world-readable');
    const allowed = await source({ requireWorldReadable: false }).open('private', client);
    expect(allowed.kind).toBe('file');
    if (allowed.kind === 'file') await allowed.file.close();
  });

  it('refuses what was swapped between the lookup and the open', async () => {
    tree.write('kernel', 'original');
    const found = await lookUpInRoot(tree.root, 'kernel', {
      refuseHardLinks: true,
      requireWorldReadable: true,
    });
    if (found.kind !== 'found') throw new Error(found.kind);
    tree.write('kernel.new', 'replacement');
    renameSync(path.join(tree.root, 'kernel.new'), path.join(tree.root, 'kernel'));
    await expect(openFound(found)).rejects.toEqual(new RootFileRefused('changed'));
    // A symlink swapped in for the file fails the same way (O_NOFOLLOW, and it is another inode).
    const again = await lookUpInRoot(tree.root, 'kernel', {
      refuseHardLinks: true,
      requireWorldReadable: true,
    });
    if (again.kind !== 'found') throw new Error(again.kind);
    renameSync(path.join(tree.root, 'kernel'), path.join(tree.root, 'kernel.old'));
    symlinkSync(tree.outside, path.join(tree.root, 'kernel'));
    await expect(openFound(again)).rejects.toBeInstanceOf(RootFileRefused);
  });
});

describe('TFTP file source: virtual files', () => {
  it('asks the policy first, with the canonical path and the client, and serves its bytes', async () => {
    tree.write('pxelinux.cfg/default', 'static default');
    const asked: unknown[] = [];
    const files = source({
      virtualFiles: (p, c) => {
        asked.push([p, c]);
        return Promise.resolve(
          p === 'pxelinux.cfg/default' ? Buffer.from(`generated for ${c.address}`) : undefined,
        );
      },
    });
    const result = await files.open('/pxelinux.cfg/default', client);
    if (result.kind !== 'file') throw new Error(result.reason);
    expect(result.file).toMatchObject({ origin: 'virtual', realPath: undefined });
    expect(await readAll(result.file)).toBe('generated for 192.0.2.10');
    expect(asked).toEqual([['pxelinux.cfg/default', client]]);
  });

  it('falls through to the roots when the policy has no such file', async () => {
    tree.write('pxelinux.0', 'loader');
    const result = await source({ virtualFiles: () => Promise.resolve(undefined) }).open(
      'pxelinux.0',
      client,
    );
    expect(result.kind === 'file' && result.file.origin).toBe('root');
    if (result.kind === 'file') await result.file.close();
  });

  it('answers "not found" without searching the roots when the policy says the name is its own', async () => {
    tree.write('pxelinux.cfg/01-52-54-00-00-00-09', 'static file of another machine');
    const files = source({ virtualFiles: () => Promise.resolve(VIRTUAL_NOT_FOUND) });
    expectRefused(await files.open('pxelinux.cfg/01-52-54-00-00-00-09', client), 'not-found');
  });

  it('fails closed when the policy fails: no fall-back to a static file of the same name', async () => {
    tree.write('pxelinux.cfg/default', 'installs everything');
    const files = source({ virtualFiles: () => Promise.reject(new Error('store down')) });
    expectRefused(await files.open('pxelinux.cfg/default', client), 'virtual-error');
  });

  it('never asks the policy about a refused name', async () => {
    let asked = 0;
    const files = source({
      virtualFiles: () => {
        asked += 1;
        return Promise.resolve(undefined);
      },
    });
    expectRefused(await files.open('../x', client), 'parent-segment');
    expect(asked).toBe(0);
  });
});

describe('TFTP file source: the hot cache', () => {
  it('reads a file once for many clients, and again once it changed', async () => {
    const file = tree.write('initrd.gz', patterned(100_000));
    const cache = new HotFileCache({ capacityBytes: 1_000_000 });
    const files = source({ cache });
    const opened = await Promise.all(Array.from({ length: 20 }, () => files.open('initrd.gz', client)));
    expect(opened.every((r) => r.kind === 'file' && r.file.bytes !== undefined)).toBe(true);
    expect(cache.stats()).toMatchObject({ misses: 1, hits: 19 });
    for (const r of opened) if (r.kind === 'file') await r.file.close();

    writeFileSync(file, 'new content');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = await files.open('initrd.gz', client);
    if (changed.kind !== 'file') throw new Error(changed.reason);
    expect(await readAll(changed.file)).toBe('new content');
    expect(cache.stats().misses).toBe(2);
    await changed.file.close();
  });

  it('streams a file larger than the cache with positional reads, and closes its descriptor', async () => {
    const content = patterned(50_000);
    tree.write('big', content);
    const before = openFds();
    const files = source({ cache: new HotFileCache({ capacityBytes: 10_000 }) });
    const result = await files.open('big', client);
    if (result.kind !== 'file') throw new Error(result.reason);
    expect(result.file.bytes).toBeUndefined();
    expect(openFds()).toBe(before + 1);
    expect(Buffer.from(await result.file.read(40_000, 20_000))).toEqual(
      Buffer.from(content.subarray(40_000)),
    );
    await result.file.close();
    await result.file.close();
    expect(openFds()).toBe(before);
  });

  it('leaves no descriptor open after cached opens', async () => {
    tree.write('a', 'x');
    const files = source({ cache: new HotFileCache() });
    const before = openFds();
    for (let i = 0; i < 10; i++) {
      const result = await files.open('a', client);
      if (result.kind === 'file') await result.file.close();
    }
    expect(openFds()).toBe(before);
  });
});
