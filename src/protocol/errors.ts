/**
 * The one error a decoder in src/protocol throws (design.md §1.2). `reason` is a short, stable, machine-readable word
 * (`short`, `truncated-option`, `opt-len`, …) that the transport counts as `drop_reason{reason}`; `offset` is the
 * byte of the datagram where decoding stopped, for the debug log and for tests that pin the exact failure.
 */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    readonly offset: number,
    readonly reason: string,
    readonly detail = '',
  ) {
    super(`${reason} at offset ${offset}${detail === '' ? '' : `: ${detail}`}`);
  }
}

/**
 * Thrown by an encoder given a value the wire format cannot carry (a text longer than its field, a number out of
 * range, a reply that does not fit the client's size limit). These are bugs or configuration errors on our side,
 * never caused by a client's packet.
 */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  constructor(
    readonly reason: string,
    readonly detail = '',
  ) {
    super(`${reason}${detail === '' ? '' : `: ${detail}`}`);
  }
}
