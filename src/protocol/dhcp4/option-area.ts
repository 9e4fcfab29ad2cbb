import { OPTION_END, OPTION_OVERLOAD, OPTION_PAD } from './options.js';
import { FILE_SIZE, MAGIC_COOKIE, OFFSET, SNAME_SIZE } from './layout.js';
import type { RejectedOption } from './raw-option.js';
import { dhcpDecodeError } from './reasons.js';

/** One option as found on the wire: its code and where its data lies in the datagram. */
interface Instance {
  readonly code: number;
  readonly start: number;
  readonly end: number;
}

/** One option after RFC 3396 concatenation: all instances' data joined, `offset` of the first instance's data. */
export interface JoinedOption {
  readonly code: number;
  readonly data: Uint8Array;
  readonly offset: number;
}

export type Overload = 'none' | 'file' | 'sname' | 'both';

export interface OptionArea {
  /** Options in order of first appearance, excluding pad, end and overload (52). */
  readonly options: readonly JoinedOption[];
  readonly overload: Overload;
  /** Options found where they are ignored: an option 52 inside an overloaded field (D14). */
  readonly ignored: readonly RejectedOption[];
}

/**
 * Reads the options of a datagram whose cookie has been checked: the options field, then, if option 52 says so,
 * `file` and then `sname` (RFC 3396 §7: "the optional parameters field, the file field, and the sname field, in
 * that order"). Each region is scanned once, bounded by its own end; a region may lack END (D13a, as Kea), and
 * bytes after END are never read (D13b). Option 52 is honoured only in the options field, and only once (D14).
 */
export function readOptionArea(bytes: Uint8Array): OptionArea {
  const instances: Instance[] = [];
  scan(bytes, OFFSET.options, bytes.length, instances);

  const overload = overloadOf(bytes, instances);
  const ignored: RejectedOption[] = [];
  const extra = (start: number, size: number) => {
    const found: Instance[] = [];
    scan(bytes, start, start + size, found);
    for (const i of found) {
      if (i.code === OPTION_OVERLOAD) ignored.push({ code: i.code, offset: i.start - 2, reason: 'overload' });
      else instances.push(i);
    }
  };
  if (overload === 'file' || overload === 'both') extra(OFFSET.file, FILE_SIZE);
  if (overload === 'sname' || overload === 'both') extra(OFFSET.sname, SNAME_SIZE);

  return { options: join(bytes, instances), overload, ignored };
}

/**
 * The data of option `code`, read in place without decoding the message, when the options field alone settles it:
 * the cookie is there, the field scans cleanly to END or its end, it holds no option 52 (RFC 2132 §9.3: `file` and
 * `sname` may then hold instances too) and exactly one instance of `code` (RFC 3396 §7: several are one value).
 * Undefined otherwise, including when the option is absent: only the full decode (readOptionArea) can say more.
 * For a reader that wants one option of many datagrams it will mostly ignore (the rogue-server probe).
 */
export function optionInPlace(bytes: Uint8Array, code: number): Uint8Array | undefined {
  if (bytes.length < OFFSET.options) return undefined;
  for (let k = 0; k < MAGIC_COOKIE.length; k++) {
    if (bytes[OFFSET.cookie + k] !== MAGIC_COOKIE[k]) return undefined;
  }
  let found: Uint8Array | undefined;
  let i: number = OFFSET.options;
  while (i < bytes.length) {
    const at = bytes[i] ?? 0;
    if (at === OPTION_PAD) {
      i += 1;
      continue;
    }
    if (at === OPTION_END) break;
    const end = i + 2 + (bytes[i + 1] ?? 0);
    if (i + 1 >= bytes.length || end > bytes.length || at === OPTION_OVERLOAD) return undefined;
    if (at === code) {
      if (found !== undefined) return undefined;
      found = bytes.subarray(i + 2, end);
    }
    i = end;
  }
  return found;
}

// RFC 2131 §4.1: pad is one octet, end is one octet, every other option is code, length, data.
function scan(bytes: Uint8Array, start: number, end: number, out: Instance[]): void {
  let i = start;
  while (i < end) {
    const code = bytes[i] ?? 0;
    if (code === OPTION_PAD) {
      i += 1;
      continue;
    }
    if (code === OPTION_END) return;
    const length = i + 1 < end ? (bytes[i + 1] ?? 0) : -1;
    if (length < 0 || i + 2 + length > end) {
      throw dhcpDecodeError(i, 'truncated-option', `option ${code} runs past its field (ends at ${end})`);
    }
    out.push({ code, start: i + 2, end: i + 2 + length });
    i += 2 + length;
  }
}

// RFC 2132 §9.3: one octet, 1 = file, 2 = sname, 3 = both. Anything else refuses the packet (D15: we pick DROP,
// since a sender that gets this wrong has built the rest of its packet on the same misunderstanding).
function overloadOf(bytes: Uint8Array, instances: readonly Instance[]): Overload {
  const found = instances.filter((i) => i.code === OPTION_OVERLOAD);
  const first = found[0];
  if (first === undefined) return 'none';
  const length = found.reduce((sum, i) => sum + (i.end - i.start), 0);
  if (length !== 1) throw dhcpDecodeError(first.start - 2, 'overload', `option 52 of ${length} bytes`);
  const value = bytes[first.start] ?? 0;
  switch (value) {
    case 1:
      return 'file';
    case 2:
      return 'sname';
    case 3:
      return 'both';
    default:
      throw dhcpDecodeError(first.start, 'overload', `option 52 value ${value}`);
  }
}

// RFC 3396 §7: instances of one option are concatenated in the order found, into one value. Nearly every datagram
// carries each option once; then each value is copied once, without grouping (this runs for every datagram).
function join(bytes: Uint8Array, instances: readonly Instance[]): JoinedOption[] {
  if (!hasRepeatedCode(instances)) {
    const out: JoinedOption[] = [];
    for (const i of instances) {
      if (i.code !== OPTION_OVERLOAD)
        out.push({ code: i.code, data: copy(bytes, i.start, i.end), offset: i.start });
    }
    return out;
  }
  const byCode = new Map<number, Instance[]>();
  for (const i of instances) {
    if (i.code === OPTION_OVERLOAD) continue;
    const list = byCode.get(i.code);
    if (list === undefined) byCode.set(i.code, [i]);
    else list.push(i);
  }
  const out: JoinedOption[] = [];
  for (const [code, list] of byCode) {
    const size = list.reduce((sum, i) => sum + (i.end - i.start), 0);
    const data = new Uint8Array(size);
    let at = 0;
    for (const i of list) {
      data.set(bytes.subarray(i.start, i.end), at);
      at += i.end - i.start;
    }
    out.push({ code, data, offset: list[0]?.start ?? 0 });
  }
  return out;
}

// Scratch for hasRepeatedCode, one flag per option code; every flag it sets is cleared before it returns.
const seen = new Uint8Array(256);

function hasRepeatedCode(instances: readonly Instance[]): boolean {
  let repeated = false;
  for (const i of instances) {
    if (seen[i.code] === 1) repeated = true;
    seen[i.code] = 1;
  }
  for (const i of instances) seen[i.code] = 0;
  return repeated;
}

// A copy, not a view: a decoded value must not change if the caller reuses the datagram's buffer. Option values
// are short, so a loop is cheaper than the view `set` would need.
function copy(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const data = new Uint8Array(end - start);
  for (let k = start; k < end; k++) data[k - start] = bytes[k] ?? 0;
  return data;
}
