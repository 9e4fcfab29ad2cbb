import { DecodeError } from '../errors.js';

/**
 * A cursor over a byte range that checks every read against the range's end. A read past the end throws
 * `DecodeError` with the offset of the read and the caller's reason (default `short`), never a `RangeError`.
 * Offsets are absolute positions in the underlying array, so errors point at the byte of the datagram.
 */
export class ByteReader {
  private position: number;
  private readonly end: number;

  /** Reads `bytes[start, end)`; bounds outside the array are clamped to it. */
  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.end = Math.max(0, Math.min(end, bytes.length));
    this.position = Math.max(0, Math.min(start, this.end));
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  atEnd(): boolean {
    return this.position >= this.end;
  }

  u8(reason = 'short'): number {
    this.need(1, reason);
    return this.bytes[this.position++] ?? 0;
  }

  peekU8(reason = 'short'): number {
    this.need(1, reason);
    return this.bytes[this.position] ?? 0;
  }

  u16(reason = 'short'): number {
    this.need(2, reason);
    const value = ((this.bytes[this.position] ?? 0) << 8) | (this.bytes[this.position + 1] ?? 0);
    this.position += 2;
    return value;
  }

  u32(reason = 'short'): number {
    this.need(4, reason);
    let value = 0;
    for (let i = 0; i < 4; i++) value = value * 256 + (this.bytes[this.position + i] ?? 0);
    this.position += 4;
    return value;
  }

  /** A copy of the next `length` bytes (a copy, so decoded values never alias a reused receive buffer). */
  take(length: number, reason = 'short'): Uint8Array {
    this.need(length, reason);
    const out = this.bytes.slice(this.position, this.position + length);
    this.position += length;
    return out;
  }

  skip(length: number, reason = 'short'): void {
    this.need(length, reason);
    this.position += length;
  }

  /** Everything left, as a copy. */
  rest(): Uint8Array {
    return this.take(this.remaining);
  }

  private need(length: number, reason: string): void {
    if (!Number.isInteger(length) || length < 0 || length > this.end - this.position) {
      throw new DecodeError(this.position, reason, `need ${length} byte(s), ${this.remaining} left`);
    }
  }
}
