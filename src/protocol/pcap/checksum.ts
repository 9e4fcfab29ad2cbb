/**
 * The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum of 16-bit big-endian words,
 * an odd last octet padded with a zero. `parts` are summed as if concatenated; every part but the last must have an
 * even length (true of the headers this module checksums).
 */
export function internetChecksum(...parts: readonly Uint8Array[]): number {
  let sum = 0;
  for (const part of parts) {
    const even = part.length & ~1;
    for (let i = 0; i < even; i += 2) sum += ((part[i] ?? 0) << 8) | (part[i + 1] ?? 0);
    if (even < part.length) sum += (part[even] ?? 0) << 8;
    // Fold now and then so the sum stays a small integer however long the input.
    if (sum > 0xffffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}
