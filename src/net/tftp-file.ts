import type { TftpPathRejection } from '../protocol/tftp/index.js';

/** Who asked: the source address and port (the client's TID) of the request. */
export interface TftpClient {
  readonly address: string;
  readonly port: number;
}

/** A file ready to be sent. Released with `close` whatever happens to the transfer. */
export interface TftpFile {
  /** The canonical path inside the roots (`resolveTftpPath`), as virtual files are asked for it. */
  readonly path: string;
  readonly origin: 'virtual' | 'root';
  /** Where a root file really is (after symlinks); undefined for a virtual file. */
  readonly realPath: string | undefined;
  readonly size: number;
  /** The whole content when it is in memory (a virtual file, a hot-cache entry); else read with `read`. */
  readonly bytes: Uint8Array | undefined;
  /** Up to `length` octets from `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Returns the cache pin or the descriptor. Idempotent. */
  close(): Promise<void>;
}

/**
 * Why a request gets no file, as a word for the transfer's record and the debug log:
 * - the path rejections of `resolveTftpPath` (`empty`, `too-long`, `control-character`, `parent-segment`);
 * - `not-found`: in no virtual file and no root;
 * - `outside-root`: resolves (through a symlink) outside the root it was found in;
 * - `not-regular-file`: a directory, FIFO, socket or device (catalogue T07);
 * - `hard-link`: a regular file with more than one link, refused by default (T07: a hard link can bring a file from
 *   outside the root in without a symlink to show it);
 * - `not-world-readable`: not readable by others, refused by default like tftpd-hpa without `--permissive`
 *   (reliability-catalogue P7);
 * - `changed`: replaced between its check and its opening;
 * - `virtual-error`: the virtual-file policy failed (nothing falls back to a root: fail closed).
 * - `read-error`: the file could not be read.
 */
export type TftpRefusal =
  | TftpPathRejection
  | 'not-found'
  | 'outside-root'
  | 'not-regular-file'
  | 'hard-link'
  | 'not-world-readable'
  | 'changed'
  | 'virtual-error'
  | 'read-error';

export type TftpOpenResult =
  | { readonly kind: 'file'; readonly file: TftpFile }
  | { readonly kind: 'refused'; readonly reason: TftpRefusal };

/** Where the TFTP server gets files: `open` never throws, a failure is a refusal with its reason. */
export interface TftpFileSource {
  /** `requested` is the file name exactly as the RRQ carried it. */
  open(requested: string, client: TftpClient): Promise<TftpOpenResult>;
}

// RFC 1350 Appendix "Error Codes": 1 "File not found", 2 "Access violation", 0 "Not defined, see error message".
// Catalogue T07 allows 1 or 2 for a refused path; 2 says "we will not" where 1 would say "there is nothing".
export function errorCodeForRefusal(reason: TftpRefusal): 0 | 1 | 2 {
  switch (reason) {
    case 'not-found':
    case 'changed':
      return 1;
    case 'empty':
    case 'too-long':
    case 'control-character':
    case 'parent-segment':
    case 'outside-root':
    case 'not-regular-file':
    case 'hard-link':
    case 'not-world-readable':
      return 2;
    case 'virtual-error':
    case 'read-error':
      return 0;
  }
}

/** The ERROR message sent for a refusal: short, fixed, ASCII (never the path or an OS error text). */
export function errorMessageForRefusal(reason: TftpRefusal): string {
  switch (errorCodeForRefusal(reason)) {
    case 1:
      return 'File not found';
    case 2:
      return 'Access violation';
    case 0:
      return 'Server error';
  }
}

/** A file whose content is in memory: virtual files and hot-cache entries. */
export function memoryFile(
  path: string,
  origin: TftpFile['origin'],
  realPath: string | undefined,
  bytes: Uint8Array,
  release: () => void = () => undefined,
): TftpFile {
  let closed = false;
  return {
    path,
    origin,
    realPath,
    size: bytes.length,
    bytes,
    read: (offset, length) => Promise.resolve(bytes.subarray(offset, offset + length)),
    close: () => {
      if (!closed) {
        closed = true;
        release();
      }
      return Promise.resolve();
    },
  };
}
