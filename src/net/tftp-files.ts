import { resolveTftpPath } from '../protocol/tftp/index.js';
import {
  memoryFile,
  type TftpClient,
  type TftpFile,
  type TftpFileSource,
  type TftpOpenResult,
  type TftpRefusal,
} from './tftp-file.js';
import type { HotFileCache } from './tftp-hot-cache.js';
import {
  lookUpInRoot,
  openFound,
  readAt,
  readWhole,
  RootFileRefused,
  type RootLookup,
  type RootPolicy,
  versionKey,
} from './tftp-root-file.js';

export type { TftpClient, TftpFile, TftpFileSource, TftpOpenResult, TftpRefusal } from './tftp-file.js';

/**
 * Files that exist only as an answer to one client: pxelinux.cfg/<uuid>, 01-<mac>, the hex-IP prefixes and
 * `default`, GRUB's grub.cfg per requesting IP (issue 4, item 3). Given the canonical path (`resolveTftpPath`: no
 * leading slash, `/` separators, e.g. `pxelinux.cfg/01-52-54-00-12-34-56`, `grub/grub.cfg`) and the client, it
 * returns the content, `VIRTUAL_NOT_FOUND`, or `undefined` for "not one of mine" so the roots are searched. A rejection is a server
 * error for that request (ERROR 0), never a fall-back to the roots: a policy that cannot answer (the store is
 * down) must not let a static default config boot a machine into an installer (design.md §1.8).
 */
export type VirtualFiles = (
  path: string,
  client: TftpClient,
) => Promise<Uint8Array | typeof VIRTUAL_NOT_FOUND | undefined>;

/**
 * A virtual-file policy's "this name is mine, and there is no such file for this client": ERROR 1, and the roots
 * are not searched (a copied netboot tree's static `pxelinux.cfg/default` must not answer a client the policy
 * has decided to send on to its next search step).
 */
export const VIRTUAL_NOT_FOUND = 'not-found';

export interface TftpFileSourceOptions {
  /** Read-only directories, searched in order after the virtual files (`tftp.roots`). */
  readonly roots: readonly string[];
  readonly virtualFiles?: VirtualFiles;
  /** Shared by every transfer; without one, every root file is streamed from disk. */
  readonly cache?: HotFileCache;
  /** Default true (catalogue T07). */
  readonly refuseHardLinks?: boolean;
  /** Default true (catalogue P7, tftpd-hpa without `--permissive`). */
  readonly requireWorldReadable?: boolean;
}

/**
 * The file source of fleetboot's TFTP server. Order: virtual files first, then each root in turn. Generated
 * per-machine files must win over whatever a copied netboot tree ships under the same name (Debian's tree has its
 * own `pxelinux.cfg/default` and `grub/grub.cfg`, protocol-digest §5.4), and `tftp.roots` is documented as
 * "searched in order after the files fleetboot generates".
 */
export function createTftpFileSource(options: TftpFileSourceOptions): TftpFileSource {
  const policy: RootPolicy = {
    refuseHardLinks: options.refuseHardLinks ?? true,
    requireWorldReadable: options.requireWorldReadable ?? true,
  };
  const search = coalescedSearch([...options.roots], policy);
  return {
    async open(requested: string, client: TftpClient): Promise<TftpOpenResult> {
      const resolved = resolveTftpPath(requested);
      if (!resolved.ok) return { kind: 'refused', reason: resolved.reason };
      const relative = resolved.relative;
      if (options.virtualFiles !== undefined) {
        let bytes: Uint8Array | typeof VIRTUAL_NOT_FOUND | undefined;
        try {
          bytes = await options.virtualFiles(relative, client);
        } catch {
          return { kind: 'refused', reason: 'virtual-error' };
        }
        if (bytes === VIRTUAL_NOT_FOUND) return { kind: 'refused', reason: 'not-found' };
        if (bytes !== undefined)
          return { kind: 'file', file: memoryFile(relative, 'virtual', undefined, bytes) };
      }
      const found = await search(relative);
      return found.kind === 'found' ? openRootFile(relative, found, options.cache) : found;
    },
  };
}

type RootSearch =
  Extract<RootLookup, { kind: 'found' }> | { readonly kind: 'refused'; readonly reason: TftpRefusal };

/**
 * The roots' answer for a path, shared by the requests for it that arrive while it is being found. A rack
 * powering on asks for one loader hundreds of times within milliseconds, and each search is two realpath(3) and
 * a stat(2) per root through libuv's thread pool, each a hand-off to a pool thread and back: about 60 µs of the
 * event loop's time per request in a profile of 200-request bursts (bench/README.md, "A burst of requests"),
 * spent while the transfers already running wait for their ACKs to be read. Nothing outlives the search: the
 * entry goes when it settles, so a request that arrives after a file changed sees the change. One that joins a
 * search under way gets an answer up to that search's duration old (microseconds; milliseconds when the pool's
 * threads are busy), as if it had come that much earlier: if the file was replaced meanwhile, the open that
 * follows refuses it as `changed` (openFound checks the inode it found) or serves the version that was found
 * from the hot cache, whole; never a mix of the two.
 */
function coalescedSearch(
  roots: readonly string[],
  policy: RootPolicy,
): (relative: string) => Promise<RootSearch> {
  const searching = new Map<string, Promise<RootSearch>>();
  return (relative) => {
    let search = searching.get(relative);
    if (search === undefined) {
      search = searchRoots(roots, relative, policy).finally(() => searching.delete(relative));
      searching.set(relative, search);
    }
    return search;
  };
}

async function searchRoots(
  roots: readonly string[],
  relative: string,
  policy: RootPolicy,
): Promise<RootSearch> {
  for (const root of roots) {
    let lookup: RootLookup;
    try {
      lookup = await lookUpInRoot(root, relative, policy);
    } catch {
      return { kind: 'refused', reason: 'read-error' };
    }
    if (lookup.kind !== 'absent') return lookup;
  }
  return { kind: 'refused', reason: 'not-found' };
}

async function openRootFile(
  relative: string,
  found: Extract<RootLookup, { kind: 'found' }>,
  cache: HotFileCache | undefined,
): Promise<TftpOpenResult> {
  const size = found.stats.size;
  try {
    if (cache !== undefined) {
      const lease = await cache.acquire(versionKey(found.realPath, found.stats), size, async () => {
        const handle = await openFound(found);
        try {
          return await readWhole(handle, size);
        } finally {
          await handle.close();
        }
      });
      if (lease !== undefined) {
        const file = memoryFile(relative, 'root', found.realPath, lease.bytes, () => {
          lease.release();
        });
        return { kind: 'file', file };
      }
    }
    return { kind: 'file', file: await streamedFile(relative, found) };
  } catch (error) {
    if (error instanceof RootFileRefused) return { kind: 'refused', reason: error.reason };
    return { kind: 'refused', reason: 'read-error' };
  }
}

/** A file read with positional reads through its own descriptor, closed with the transfer. */
async function streamedFile(
  relative: string,
  found: Extract<RootLookup, { kind: 'found' }>,
): Promise<TftpFile> {
  const handle = await openFound(found);
  let closing: Promise<void> | undefined;
  return {
    path: relative,
    origin: 'root',
    realPath: found.realPath,
    size: found.stats.size,
    bytes: undefined,
    read: (offset, length) =>
      readAt(handle, offset, Math.max(0, Math.min(length, found.stats.size - offset))),
    close: () => (closing ??= handle.close()),
  };
}
