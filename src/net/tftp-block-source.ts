import {
  blockCount,
  blockLength,
  blockOffset,
  NETASCII_START,
  type NetasciiCursor,
  netasciiLength,
  nextNetasciiBlock,
  type TransferMode,
} from '../protocol/tftp/index.js';
import type { TftpFile } from './tftp-file.js';

/**
 * The DATA payloads of one transfer by block index. At once for a file in memory sent in octet mode (the hot path:
 * views into the shared buffer, no copy); through a promise when the file is streamed or converted to netascii.
 */
export interface BlockSource {
  readonly blockSize: number;
  /** Octets the transfer sends: the file size in octet mode, the converted size in netascii. */
  readonly streamSize: number;
  readonly totalBlocks: number;
  /**
   * Blocks `first` … `first + count - 1`, asked for in the order the transfer sends them (one call at a time:
   * a netascii block's start is known once the block before it was made).
   */
  blocks(first: number, count: number): Promise<readonly Uint8Array[]>;
  /**
   * The whole stream when the file is in memory and sent as is (octet mode): block i is its octets from
   * (i − 1) × blockSize on, sent by the transfer's socket straight from it (the hot path: no copy, no promise).
   */
  readonly memory: Uint8Array | undefined;
  /** Everything up to `index` is acknowledged: state kept only for those blocks can go. */
  acknowledge(index: number): void;
}

export async function createBlockSource(
  file: TftpFile,
  mode: TransferMode,
  blockSize: number,
): Promise<BlockSource> {
  switch (mode) {
    case 'octet':
      return octetBlocks(file, blockSize);
    case 'netascii':
      return netasciiBlocks(file, blockSize, await convertedLength(file));
  }
}

function octetBlocks(file: TftpFile, blockSize: number): BlockSource {
  const size = file.size;
  const memory = file.bytes;
  return {
    blockSize,
    streamSize: size,
    totalBlocks: blockCount(size, blockSize),
    memory,
    async blocks(first, count) {
      if (memory !== undefined) {
        const out: Uint8Array[] = [];
        for (let index = first; index < first + count; index++) {
          const offset = blockOffset(index, blockSize);
          out.push(memory.subarray(offset, offset + blockLength(index, size, blockSize)));
        }
        return out;
      }
      // One positional read for the whole window, cut into blocks. A file that shrank under the transfer would
      // end it early with a short block, a silent truncation: that is a read error instead.
      const start = blockOffset(first, blockSize);
      const expected = Math.max(0, Math.min(count * blockSize, size - start));
      const span = await file.read(start, count * blockSize);
      if (span.length < expected) throw new Error(`${file.path} shrank while it was being sent`);
      const out: Uint8Array[] = [];
      for (let i = 0; i < count; i++) out.push(span.subarray(i * blockSize, (i + 1) * blockSize));
      return out;
    },
    acknowledge: () => undefined,
  };
}

/**
 * RFC 1350 §1 netascii, block by block (protocol/tftp/netascii.ts). A converted block does not start at a fixed
 * offset of the file, so the cursor where each block starts is kept from the first unacknowledged block on: a
 * retransmission starts at a known cursor, and acknowledged cursors are dropped, so the state is one window.
 */
function netasciiBlocks(file: TftpFile, blockSize: number, streamSize: number): BlockSource {
  const cursors = new Map<number, NetasciiCursor>([[1, NETASCII_START]]);
  return {
    blockSize,
    streamSize,
    // The last block is found by the converted length, not by the file size (tftpd-hpa converts the same way).
    totalBlocks: blockCount(streamSize, blockSize),
    memory: undefined,
    async blocks(first, count) {
      const out: Uint8Array[] = [];
      let cursor = cursors.get(first);
      if (cursor === undefined) throw new RangeError(`netascii block ${first} was asked for out of order`);
      for (let index = first; index < first + count; index++) {
        // A block of n converted octets needs at most n octets of the file.
        const chunk = await file.read(cursor.offset, blockSize);
        const { data, next } = nextNetasciiBlock(chunk, { offset: 0, pending: cursor.pending }, blockSize);
        out.push(data);
        cursor = { offset: cursor.offset + next.offset, pending: next.pending };
        cursors.set(index + 1, cursor);
      }
      return out;
    },
    acknowledge(index) {
      for (const key of cursors.keys()) if (key <= index) cursors.delete(key);
    },
  };
}

async function convertedLength(file: TftpFile): Promise<number> {
  if (file.bytes !== undefined) return netasciiLength(file.bytes);
  const chunkSize = 1024 * 1024;
  let total = 0;
  for (let offset = 0; offset < file.size; offset += chunkSize) {
    const chunk = await file.read(offset, chunkSize);
    if (chunk.length === 0) break;
    total += netasciiLength(chunk);
  }
  return total;
}
