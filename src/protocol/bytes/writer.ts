import { EncodeError } from '../errors.js';

/** A growable byte buffer for building datagrams. Values out of range throw `EncodeError('range')`. */
export class ByteWriter {
  private buffer: Uint8Array;
  private size = 0;

  constructor(initialCapacity = 576) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.size;
  }

  u8(value: number): this {
    checkUint(value, 0xff, 'u8');
    this.reserve(1);
    this.buffer[this.size++] = value;
    return this;
  }

  u16(value: number): this {
    checkUint(value, 0xffff, 'u16');
    this.reserve(2);
    this.buffer[this.size++] = value >>> 8;
    this.buffer[this.size++] = value & 0xff;
    return this;
  }

  u32(value: number): this {
    checkUint(value, 0xffffffff, 'u32');
    this.reserve(4);
    this.buffer[this.size++] = (value >>> 24) & 0xff;
    this.buffer[this.size++] = (value >>> 16) & 0xff;
    this.buffer[this.size++] = (value >>> 8) & 0xff;
    this.buffer[this.size++] = value & 0xff;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buffer.set(data, this.size);
    this.size += data.length;
    return this;
  }

  zeros(count: number): this {
    checkUint(count, Number.MAX_SAFE_INTEGER, 'count');
    this.reserve(count);
    this.buffer.fill(0, this.size, this.size + count);
    this.size += count;
    return this;
  }

  /** `data` written into a field of exactly `width` bytes, the rest zero; longer data throws. */
  field(data: Uint8Array, width: number, what: string): this {
    if (data.length > width) {
      throw new EncodeError('field-too-long', `${what}: ${data.length} bytes, the field holds ${width}`);
    }
    return this.bytes(data).zeros(width - data.length);
  }

  /**
   * The bytes written so far, as an array of exactly that length that later writes do not change: the buffer
   * itself when it is exactly full (a writer sized up front; a later write would grow into a new one), else a copy.
   */
  toBytes(): Uint8Array {
    return this.size === this.buffer.length ? this.buffer : this.buffer.slice(0, this.size);
  }

  private reserve(extra: number): void {
    if (this.size + extra <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.size + extra));
    grown.set(this.buffer.subarray(0, this.size));
    this.buffer = grown;
  }
}

/** `EncodeError('range')` unless `value` is an integer from 0 to `max`: the check every write of a number makes. */
export function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new EncodeError('range', `${what} ${value} is not an integer from 0 to ${max}`);
  }
}
