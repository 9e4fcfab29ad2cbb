import {
  DEFAULT_BLOCK_SIZE,
  DEFAULT_WINDOW_SIZE,
  IPV4_UDP_TFTP_OVERHEAD,
  MAX_BLOCK_SIZE,
  MAX_TIMEOUT_SECONDS,
  MAX_WINDOW_SIZE,
  MIN_BLOCK_SIZE,
  MIN_TIMEOUT_SECONDS,
  MIN_WINDOW_SIZE,
} from './limits.js';
import { asciiLower } from './octets.js';
import type { ReadRequest, TftpOption } from './packet.js';

/** What the server allows, from configuration and the interface the request came in on. */
export interface NegotiationLimits {
  /** Configured largest block, 8–65464. */
  readonly maxBlockSize: number;
  /** MTU of the receiving interface; blocks are capped to `mtu - 32` so they are never fragmented. */
  readonly mtu: number;
  /** Configured largest window, 1–65535 (catalogue T12 suggests ≤ 32, as dnsmasq). */
  readonly maxWindowSize: number;
  /** Size in octets of the file as it will be sent in octet mode; `undefined` when it is not known up front. */
  readonly fileSize: number | undefined;
}

/** The values the transfer runs with, whether or not an OACK announced them. */
export interface EffectiveOptions {
  /** Octets per DATA block: 512 unless blksize was accepted. */
  readonly blockSize: number;
  /** Blocks sent before an ACK is awaited: 1 (lock-step) unless windowsize was accepted. */
  readonly windowSize: number;
  /** The client's retransmission timeout in seconds when accepted; `undefined` leaves the server's own. */
  readonly timeoutSeconds: number | undefined;
  /** The size announced in the OACK's tsize, when it was asked for and accepted. */
  readonly transferSize: number | undefined;
}

export type IgnoredOptionReason = 'unknown' | 'duplicate' | 'unparsable' | 'out-of-range' | 'no-size';

/** An option the client sent that is not in the OACK, and why: for the debug log and the transfer's event. */
export interface IgnoredOption {
  readonly name: string;
  readonly value: string;
  readonly reason: IgnoredOptionReason;
}

export interface Negotiation {
  /**
   * The OACK's options: only options the client asked for, under the name it spelled, in the order it sent them,
   * each value within what it asked. EDK2 rejects an OACK with an option it did not request, a larger blksize or
   * windowsize, or a changed timeout (Mtftp4Rrq.c `Mtftp4RrqOackValid`; protocol-digest §2.8 item 3). Empty means
   * no OACK: answer an RRQ with DATA 1 (RFC 2347).
   */
  readonly accepted: readonly TftpOption[];
  readonly effective: EffectiveOptions;
  readonly ignored: readonly IgnoredOption[];
}

type Known = 'blksize' | 'timeout' | 'tsize' | 'windowsize';

type Decision = { readonly value: number } | { readonly reason: IgnoredOptionReason };

/** What one option's decision depends on besides its value. */
interface Context {
  readonly mode: ReadRequest['mode'];
  readonly fileSize: number | undefined;
  readonly blockCap: number;
  readonly windowCap: number;
}

/**
 * Negotiates the RFC 2347 options of a read request. Pure: the caller passes the file size and the limits.
 *
 * An option the server does not know is ignored, and so is a known one whose value is not a decimal number or is
 * outside its RFC range: RFC 2347 lets the server omit an option with an invalid value, and omitting never makes
 * a client fail where an ERROR 8 would (catalogue T09, T10, T12). A repeated option counts once, the first time
 * (catalogue T13). Throws `RangeError` if the limits themselves are out of range (a configuration bug).
 */
export function negotiateOptions(
  request: Pick<ReadRequest, 'mode' | 'options'>,
  limits: NegotiationLimits,
): Negotiation {
  checkLimits(limits);
  const context: Context = {
    mode: request.mode,
    fileSize: limits.fileSize,
    blockCap: blockSizeCap(limits),
    windowCap: limits.maxWindowSize,
  };
  const accepted: TftpOption[] = [];
  const ignored: IgnoredOption[] = [];
  const seen = new Set<string>();
  const values: Partial<Record<Known, number>> = {};

  for (const option of request.options) {
    const key = asciiLower(option.name);
    if (!isKnown(key)) {
      ignored.push({ ...option, reason: 'unknown' });
      continue;
    }
    if (seen.has(key)) {
      ignored.push({ ...option, reason: 'duplicate' });
      continue;
    }
    seen.add(key);
    const decision = decide(key, option.value, context);
    if ('reason' in decision) {
      ignored.push({ ...option, reason: decision.reason });
      continue;
    }
    values[key] = decision.value;
    accepted.push({ name: option.name, value: String(decision.value) });
  }

  return {
    accepted,
    effective: {
      blockSize: values.blksize ?? DEFAULT_BLOCK_SIZE,
      windowSize: values.windowsize ?? DEFAULT_WINDOW_SIZE,
      timeoutSeconds: values.timeout,
      transferSize: values.tsize,
    },
    ignored,
  };
}

function isKnown(key: string): key is Known {
  return key === 'blksize' || key === 'timeout' || key === 'tsize' || key === 'windowsize';
}

function decide(key: Known, text: string, context: Context): Decision {
  const requested = parseDecimal(text);
  if (requested === undefined) return { reason: 'unparsable' };
  switch (key) {
    case 'blksize':
      // RFC 2348 "Blocksize Option Specification": 8..65464, and the OACK value "must be less than or equal to
      // the value specified by the client".
      if (requested < MIN_BLOCK_SIZE || requested > MAX_BLOCK_SIZE) return { reason: 'out-of-range' };
      return { value: Math.min(requested, context.blockCap) };
    case 'timeout':
      // RFC 2349 "Timeout Interval Option Specification": 1..255, and the OACK value "must match the value
      // specified by the client".
      if (requested < MIN_TIMEOUT_SECONDS || requested > MAX_TIMEOUT_SECONDS) {
        return { reason: 'out-of-range' };
      }
      return { value: requested };
    case 'tsize':
      // RFC 2349 "Transfer Size Option Specification": an RRQ carries 0 and the OACK returns the size (any number
      // asked gets the real size, T11). A netascii stream's size is not the file's, so tsize is octet-only, as in
      // tftpd-hpa and dnsmasq.
      if (context.mode !== 'octet' || context.fileSize === undefined) return { reason: 'no-size' };
      return { value: context.fileSize };
    case 'windowsize':
      // RFC 7440 §3: 1..65535, and the OACK value is less than or equal to the client's.
      if (requested < MIN_WINDOW_SIZE || requested > MAX_WINDOW_SIZE) return { reason: 'out-of-range' };
      return { value: Math.min(requested, context.windowCap) };
  }
}

/**
 * A plain decimal number of octets `0-9` (RFC 2347 values are ASCII numbers). Signs, spaces, exponents, hex and
 * the empty string are refused; more than 15 digits is a number too large for any option, so it is returned as
 * `Infinity` (out of range) rather than losing precision.
 */
function parseDecimal(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  return text.length > 15 ? Number.POSITIVE_INFINITY : Number(text);
}

// tftpd-hpa in.tftpd(8) --blocksize: cap at the MTU minus 32 so no block is fragmented (dnsmasq clamps the same).
function blockSizeCap(limits: NegotiationLimits): number {
  return Math.min(limits.maxBlockSize, limits.mtu - IPV4_UDP_TFTP_OVERHEAD);
}

function checkLimits(limits: NegotiationLimits): void {
  requireInteger('maxBlockSize', limits.maxBlockSize, MIN_BLOCK_SIZE, MAX_BLOCK_SIZE);
  requireInteger('mtu', limits.mtu, MIN_BLOCK_SIZE + IPV4_UDP_TFTP_OVERHEAD, 65535);
  requireInteger('maxWindowSize', limits.maxWindowSize, MIN_WINDOW_SIZE, MAX_WINDOW_SIZE);
  if (limits.fileSize !== undefined) requireInteger('fileSize', limits.fileSize, 0, Number.MAX_SAFE_INTEGER);
}

function requireInteger(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} ${value} is not an integer from ${min} to ${max}`);
  }
}
