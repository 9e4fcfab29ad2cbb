/**
 * Block arithmetic for a transfer. Two numbers, kept apart on purpose:
 * - the block *index*: 1, 2, 3, … without limit, the position of a block in the file (index 0 is the OACK, which
 *   the client confirms with ACK 0);
 * - the block *number*: the u16 on the wire, the index modulo 65536.
 * The engine counts in indexes and converts at the wire, so nothing it computes overflows at 65535.
 */

/** Values a u16 block number takes: 0 … 65535. */
export const BLOCK_NUMBER_MODULUS = 65536;

// RFC 1350 §2: "A data packet of less than 512 bytes signals termination of a transfer" (less than blksize, RFC
// 2348), so a file whose size is a multiple of the block size ends with an empty block: ⌊size / blockSize⌋ + 1.
export function blockCount(size: number, blockSize: number): number {
  checkSize(size);
  checkBlockSize(blockSize);
  return Math.floor(size / blockSize) + 1;
}

/** Offset in the file of the first octet of block `index` (1-based). */
export function blockOffset(index: number, blockSize: number): number {
  checkIndex(index);
  checkBlockSize(blockSize);
  return (index - 1) * blockSize;
}

/** Octets in block `index` of a file of `size` octets: `blockSize`, less for the last block, 0 past the end. */
export function blockLength(index: number, size: number, blockSize: number): number {
  checkSize(size);
  const left = size - blockOffset(index, blockSize);
  return Math.max(0, Math.min(blockSize, left));
}

/** The index of the block that holds the octet at `offset`. */
export function blockIndexForOffset(offset: number, blockSize: number): number {
  checkSize(offset);
  checkBlockSize(blockSize);
  return Math.floor(offset / blockSize) + 1;
}

// RFC 1350 §2 and §6, RFC 2348: the DATA that ends a transfer is the first one shorter than the block size,
// possibly empty.
export function isFinalBlock(length: number, blockSize: number): boolean {
  return length < blockSize;
}

/**
 * The u16 block number of block `index`. RFC 1350 says nothing about files of more than 65535 blocks; practice
 * (protocol-digest §4.3) wraps 65535 → 0: EDK2 "Many implementations wrap to zero … Here we choose this solution"
 * (Mtftp4Support.c), tftpd-hpa's `rollover` "default and recommended value is zero", and pxelinux, GRUB and iPXE
 * all accept 0 after 65535. A 32 MiB file at blksize 512 is the first to need it (catalogue T20).
 */
export function blockNumber(index: number): number {
  checkIndex(index, 0);
  return index % BLOCK_NUMBER_MODULUS;
}

/**
 * The index an ACK's u16 `number` stands for: the latest index at or before `latest` (the last block sent) that
 * has that number. An ACK names a block already sent, so this is unambiguous while fewer than 65536 blocks are in
 * flight (a window is at most 65535, RFC 7440). An ACK for a block not yet sent (catalogue T16) maps ~65536
 * blocks back, which the engine sees as stale and ignores; `undefined` when it would fall before the transfer.
 */
export function ackedIndex(number: number, latest: number): number | undefined {
  if (!Number.isInteger(number) || number < 0 || number >= BLOCK_NUMBER_MODULUS) {
    throw new RangeError(`block number ${number} is not a u16`);
  }
  checkIndex(latest, 0);
  const behind = (((latest - number) % BLOCK_NUMBER_MODULUS) + BLOCK_NUMBER_MODULUS) % BLOCK_NUMBER_MODULUS;
  const index = latest - behind;
  return index < 0 ? undefined : index;
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`size ${size} is not a non-negative integer`);
  }
}

function checkBlockSize(blockSize: number): void {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`block size ${blockSize} is not a positive integer`);
  }
}

function checkIndex(index: number, min = 1): void {
  if (!Number.isSafeInteger(index) || index < min) {
    throw new RangeError(`block index ${index} is below ${min}`);
  }
}
