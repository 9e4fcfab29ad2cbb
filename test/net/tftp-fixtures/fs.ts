// File-system fixtures for the TFTP tests: temporary roots, a canary outside them, open-descriptor counts.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TftpTree {
  /** A parent directory holding the roots and the canary; removed by `remove`. */
  readonly base: string;
  readonly root: string;
  /** A file outside every root whose content is `canary`: it must never be served (catalogue I6). */
  readonly outside: string;
  readonly canary: string;
  /** Writes `relative` inside the root (0644 like a shipped netboot tree), creating directories. */
  write(relative: string, content: Uint8Array | string, root?: string): string;
  remove(): void;
}

export function makeTree(prefix = 'fleetboot-tftp-'): TftpTree {
  const base = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(base, 0o755);
  const root = path.join(base, 'root');
  mkdirSync(root, { mode: 0o755 });
  const canary = `CANARY-${randomBytes(12).toString('hex')}`;
  const outside = path.join(base, 'secret.txt');
  writeFileSync(outside, `${canary}\n`, { mode: 0o644 });
  return {
    base,
    root,
    outside,
    canary,
    write(relative, content, into = root) {
      const file = path.join(into, relative);
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      writeFileSync(file, content, { mode: 0o644 });
      chmodSync(file, 0o644);
      return file;
    },
    remove() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Descriptors this process has open (catalogue F11, L05: back to the baseline after transfers). */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** `size` octets of a fixed pseudo-random pattern (not compressible, not all zero), seeded so runs compare. */
export function patterned(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
