/**
 * netascii for RRQs in that mode. RFC 1350 §1 defines it as 8-bit ASCII "with the modifications specified in" the
 * Telnet protocol (RFC 764): end of line is CR LF, and a CR that is not part of one is sent as CR NUL. Files here
 * are Unix text, so the conversion is per octet: LF → CR LF, CR → CR NUL, everything else unchanged: the conversion
 * tftpd-hpa does in `read_ahead` (common/tftpsubs.c, "lf -> cr,lf and cr -> cr, nul").
 *
 * The converted stream is cut into blocks of exactly `blockSize` octets. When a pair straddles a block boundary,
 * the block ends in CR and its LF or NUL starts the next block: that carried octet is the cursor's `pending`
 * (tftpd-hpa carries the same state across its buffers in `newline`/`prevchar`).
 */

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

/** Where the next netascii block starts: the next source octet, and the second half of a pair already begun. */
export interface NetasciiCursor {
  readonly offset: number;
  /** LF or NUL still owed from a CR that ended the previous block; `undefined` when none. */
  readonly pending: number | undefined;
}

export const NETASCII_START: NetasciiCursor = { offset: 0, pending: undefined };

// RFC 764 (via RFC 1350 §1): LF is sent as CR LF, a bare CR as CR NUL; nothing else changes.
function expansion(octet: number): number | undefined {
  if (octet === LF) return LF;
  if (octet === CR) return NUL;
  return undefined;
}

/** Length of `source` once converted: the size of the stream a netascii transfer sends. */
export function netasciiLength(source: Uint8Array): number {
  let extra = 0;
  for (const octet of source) if (expansion(octet) !== undefined) extra++;
  return source.length + extra;
}

/** All of `source` converted at once. */
export function toNetascii(source: Uint8Array): Uint8Array {
  return nextNetasciiBlock(source, NETASCII_START, Math.max(1, netasciiLength(source))).data;
}

/**
 * The next block of at most `blockSize` converted octets from `cursor`, and the cursor after it. A block shorter
 * than `blockSize` is the last (then `next` is at the end with nothing pending); a stream whose length is a
 * multiple of the block size ends with an empty block, as RFC 1350 §6 requires.
 */
export function nextNetasciiBlock(
  source: Uint8Array,
  cursor: NetasciiCursor,
  blockSize: number,
): { readonly data: Uint8Array; readonly next: NetasciiCursor } {
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) {
    throw new RangeError(`block size ${blockSize} is not positive`);
  }
  if (!Number.isSafeInteger(cursor.offset) || cursor.offset < 0 || cursor.offset > source.length) {
    throw new RangeError(`cursor offset ${cursor.offset} is outside the source`);
  }
  const out = new Uint8Array(blockSize);
  let written = 0;
  let offset = cursor.offset;
  let pending = cursor.pending;
  if (pending !== undefined) {
    out[written++] = pending;
    pending = undefined;
  }
  while (written < blockSize && offset < source.length) {
    const octet = source[offset++] ?? 0;
    const second = expansion(octet);
    out[written++] = second === undefined ? octet : CR;
    if (second === undefined) continue;
    if (written < blockSize) out[written++] = second;
    else pending = second;
  }
  return { data: written === blockSize ? out : out.subarray(0, written), next: { offset, pending } };
}
