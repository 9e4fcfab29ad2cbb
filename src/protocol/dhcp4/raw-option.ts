/** An option (or sub-option) as code and bytes: unknown codes, rejected values, and sub-option lists. */
export interface RawOption {
  readonly code: number;
  readonly data: Uint8Array;
}

/** An option the decoder left out of the typed view without refusing the packet, and why. */
export interface RejectedOption {
  readonly code: number;
  /** Byte of the datagram where the problem was found. */
  readonly offset: number;
  readonly reason: string;
}
