/** The part of a file a `Range` header asks for (RFC 9110 §14). Pure. */
export type RangeChoice =
  | { readonly kind: 'full' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

/**
 * Reads `Range: bytes=a-b | a- | -n` for a file of `length` bytes. A header the server cannot use — another
 * unit, bad syntax, several ranges — is ignored and the whole file sent (RFC 9110 §14.2: "A server MAY ignore
 * the Range header field"); apt and wget ask for one range, to resume a download. A range starting past the end
 * is unsatisfiable (§15.5.17, 416 with `Content-Range: bytes *\/length`).
 */
export function chooseRange(header: string | undefined, length: number): RangeChoice {
  if (header === undefined) return { kind: 'full' };
  const [, first, last] = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header) ?? [];
  if (first === undefined || last === undefined || (first === '' && last === '')) return { kind: 'full' };
  if (first === '') {
    // Suffix range: the last n bytes (§14.1.2); `-0` asks for nothing.
    const n = Number(last);
    if (n === 0) return { kind: 'unsatisfiable' };
    if (length === 0) return { kind: 'unsatisfiable' };
    return n >= length ? { kind: 'full' } : { kind: 'partial', start: length - n, end: length - 1 };
  }
  const start = Number(first);
  const end = last === '' ? length - 1 : Math.min(Number(last), length - 1);
  if (last !== '' && Number(last) < start) return { kind: 'full' }; // invalid: ignore (§14.1.1)
  if (start >= length) return { kind: 'unsatisfiable' };
  if (start === 0 && end === length - 1) return { kind: 'full' };
  return { kind: 'partial', start, end };
}
