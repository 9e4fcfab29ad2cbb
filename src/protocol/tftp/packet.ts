import { ByteReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import { EncodeError } from '../errors.js';
import {
  MAX_BLOCK_SIZE,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_FILENAME_BYTES,
  MAX_OPTION_NAME_BYTES,
  MAX_OPTION_VALUE_BYTES,
  MAX_OPTIONS,
} from './limits.js';
import { asciiLower, readNulTerminated, textToOctets } from './octets.js';
import { tftpDecodeError } from './reasons.js';

// RFC 1350 §5 (1–5) and RFC 2347 (6, OACK).
export const Opcode = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;

// RFC 1350 §1 lists netascii, octet and mail; RFC 1123 §4.2.2.1: "The "mail" mode SHOULD NOT be supported."
export type TransferMode = 'octet' | 'netascii';

/** One RFC 2347 option as sent: name and value are case-insensitive text; we keep the client's spelling. */
export interface TftpOption {
  readonly name: string;
  readonly value: string;
}

export interface ReadRequest {
  readonly kind: 'rrq';
  /** As sent, one character per octet; `resolveTftpPath` makes it a path. */
  readonly filename: string;
  readonly mode: TransferMode;
  /** In the order sent. Left out: a name without a value at the end, empty or over-long names and values. */
  readonly options: readonly TftpOption[];
}

export interface WriteRequest {
  readonly kind: 'wrq';
  readonly filename: string;
  readonly mode: TransferMode;
  readonly options: readonly TftpOption[];
}

export interface DataPacket {
  readonly kind: 'data';
  /** The u16 on the wire; it wraps 65535 → 0 (see blocks.ts). */
  readonly block: number;
  readonly data: Uint8Array;
}

export interface AckPacket {
  readonly kind: 'ack';
  readonly block: number;
}

export interface ErrorPacket {
  readonly kind: 'error';
  /** RFC 1350 Appendix "Error Codes" 0–7, RFC 2347 code 8; any u16 is kept. */
  readonly code: number;
  /** At most `MAX_ERROR_MESSAGE_BYTES` characters; a peer's text is untrusted: escape it before logging. */
  readonly message: string;
}

export interface OptionAckPacket {
  readonly kind: 'oack';
  readonly options: readonly TftpOption[];
}

export type TftpPacket = ReadRequest | WriteRequest | DataPacket | AckPacket | ErrorPacket | OptionAckPacket;
export type TftpPacketKind = TftpPacket['kind'];

const KIND_BY_OPCODE: readonly (TftpPacketKind | undefined)[] = [
  undefined,
  'rrq',
  'wrq',
  'data',
  'ack',
  'error',
  'oack',
];

/**
 * The kind a datagram claims by its opcode alone, or `undefined`. For the transport's choices that do not need the
 * rest: a 3-byte ERROR (T17, CVE-2019-11365) does not decode, yet still means the peer gave up.
 */
export function packetKindOf(bytes: Uint8Array): TftpPacketKind | undefined {
  if (bytes.length < 2 || bytes[0] !== 0) return undefined;
  return KIND_BY_OPCODE[bytes[1] ?? 0];
}

/** Decodes one TFTP datagram. Throws `DecodeError` (reasons in reasons.ts) and nothing else. */
export function decodeTftpPacket(bytes: Uint8Array): TftpPacket {
  const reader = new ByteReader(bytes);
  const opcode = reader.u16('short');
  switch (opcode) {
    case Opcode.rrq:
      return { kind: 'rrq', ...decodeRequest(reader) };
    case Opcode.wrq:
      return { kind: 'wrq', ...decodeRequest(reader) };
    case Opcode.data:
      return decodeData(reader);
    case Opcode.ack:
      // RFC 1350 §5: an ACK is 4 bytes. Octets after the block number are ignored, as tftpd-hpa (`n >= 4`) and
      // dnsmasq (`len >= 4`) do: they cannot change what the ACK means.
      return { kind: 'ack', block: reader.u16('short') };
    case Opcode.error:
      return decodeError(reader);
    case Opcode.oack:
      // EDK2 accepts an OACK of the opcode alone (Mtftp4ExtractOptions), so an empty list decodes.
      return { kind: 'oack', options: decodeOptions(reader) };
    default:
      throw tftpDecodeError(0, 'opcode', `opcode ${opcode} is not 1–6`);
  }
}

// RFC 1350 §5: RRQ/WRQ = opcode | filename | 0 | mode | 0, and RFC 2347 appends opt | 0 | value | 0 pairs.
function decodeRequest(reader: ByteReader): Omit<ReadRequest, 'kind'> {
  const nameAt = reader.offset;
  const name = readNulTerminated(reader, MAX_FILENAME_BYTES);
  if (name.length === 0) throw tftpDecodeError(nameAt, 'empty-filename');
  if (name.length > MAX_FILENAME_BYTES) {
    throw tftpDecodeError(nameAt, 'long-filename', `${name.length} octets, at most ${MAX_FILENAME_BYTES}`);
  }
  const modeAt = reader.offset;
  if (reader.atEnd()) throw tftpDecodeError(modeAt, 'mode', 'missing');
  const modeField = readNulTerminated(reader, 16);
  const mode = transferMode(modeField.text, modeField.length);
  if (mode === undefined) {
    throw tftpDecodeError(modeAt, 'mode', `unknown mode ${JSON.stringify(modeField.text)}`);
  }
  return { filename: name.text, mode, options: decodeOptions(reader) };
}

// RFC 1350 §5: the mode is "netascii", "octet" or "mail" in any mix of upper and lower case (tftpd-hpa and dnsmasq
// compare without case). RFC 1123 §4.2.2.1: "mail" SHOULD NOT be supported, so it is refused like an unknown mode.
function transferMode(text: string, length: number): TransferMode | undefined {
  if (length !== text.length) return undefined;
  const lower = asciiLower(text);
  return lower === 'octet' || lower === 'netascii' ? lower : undefined;
}

function decodeOptions(reader: ByteReader): TftpOption[] {
  const options: TftpOption[] = [];
  let pairs = 0;
  while (!reader.atEnd()) {
    const at = reader.offset;
    const name = readNulTerminated(reader, MAX_OPTION_NAME_BYTES);
    // RFC 2347 does not define a name without a value; catalogue T13: ignore the dangling name.
    if (reader.atEnd()) break;
    const value = readNulTerminated(reader, MAX_OPTION_VALUE_BYTES);
    if (++pairs > MAX_OPTIONS) {
      throw tftpDecodeError(at, 'too-many-options', `more than ${MAX_OPTIONS} options`);
    }
    // RFC 2347: an option the server does not know is omitted; an empty or over-long name is never one we know,
    // and no option we know has a value that long (tftpd-hpa `do_opt` skips an empty name the same way).
    if (name.length === 0 || name.length > MAX_OPTION_NAME_BYTES || value.length > MAX_OPTION_VALUE_BYTES) {
      continue;
    }
    options.push({ name: name.text, value: value.text });
  }
  return options;
}

// RFC 1350 §5: DATA = opcode | block | 0–512 octets; RFC 2348 raises the most to 65464.
function decodeData(reader: ByteReader): DataPacket {
  const block = reader.u16('short');
  if (reader.remaining > MAX_BLOCK_SIZE) {
    throw tftpDecodeError(
      reader.offset,
      'long-data',
      `${reader.remaining} octets, at most ${MAX_BLOCK_SIZE}`,
    );
  }
  return { kind: 'data', block, data: reader.rest() };
}

// RFC 1350 §5: ERROR = opcode | code | message | 0. A peer's ERROR is read leniently (catalogue T17): a message
// without its NUL ends at the datagram's end, and only the first MAX_ERROR_MESSAGE_BYTES octets are kept.
function decodeError(reader: ByteReader): ErrorPacket {
  const code = reader.u16('short');
  let message = '';
  let length = 0;
  while (!reader.atEnd()) {
    const b = reader.u8();
    if (b === 0) break;
    if (length++ < MAX_ERROR_MESSAGE_BYTES) message += String.fromCharCode(b);
  }
  return { kind: 'error', code, message };
}

/**
 * Encodes a packet. Throws `EncodeError` for a value the decoder would refuse or change (an empty or over-long
 * filename, too many or over-long options, a DATA block over 65464 octets, a long ERROR message, an empty OACK,
 * a character that is not one octet or is NUL), so what we send always decodes back to the same value.
 */
export function encodeTftpPacket(packet: TftpPacket): Uint8Array {
  switch (packet.kind) {
    case 'rrq':
      return encodeRequest(Opcode.rrq, packet);
    case 'wrq':
      return encodeRequest(Opcode.wrq, packet);
    case 'data':
      return encodeData(packet);
    case 'ack':
      return new ByteWriter(4).u16(Opcode.ack).u16(packet.block).toBytes();
    case 'error':
      return encodeError(packet);
    case 'oack':
      // RFC 2347: the OACK lists the options the server accepts; with none accepted the server answers as if no
      // option had been asked for (DATA 1 to an RRQ), so an empty OACK is a bug on our side.
      if (packet.options.length === 0) {
        throw new EncodeError('empty-oack', 'an OACK needs at least one option');
      }
      return writeOptions(new ByteWriter(64).u16(Opcode.oack), packet.options).toBytes();
  }
}

function encodeRequest(opcode: number, request: ReadRequest | WriteRequest): Uint8Array {
  const name = textToOctets(request.filename, 'filename');
  if (name.length === 0 || name.length > MAX_FILENAME_BYTES) {
    throw new EncodeError('filename', `${name.length} octets, expected 1 to ${MAX_FILENAME_BYTES}`);
  }
  const writer = new ByteWriter(64).u16(opcode).bytes(name).u8(0);
  writer.bytes(textToOctets(request.mode, 'mode')).u8(0);
  return writeOptions(writer, request.options).toBytes();
}

function writeOptions(writer: ByteWriter, options: readonly TftpOption[]): ByteWriter {
  if (options.length > MAX_OPTIONS) {
    throw new EncodeError('option', `${options.length} options, at most ${MAX_OPTIONS}`);
  }
  for (const { name, value } of options) {
    const nameOctets = textToOctets(name, 'option name');
    const valueOctets = textToOctets(value, `option ${name}`);
    if (nameOctets.length === 0 || nameOctets.length > MAX_OPTION_NAME_BYTES) {
      throw new EncodeError(
        'option',
        `option name of ${nameOctets.length} octets, expected 1 to ${MAX_OPTION_NAME_BYTES}`,
      );
    }
    if (valueOctets.length > MAX_OPTION_VALUE_BYTES) {
      throw new EncodeError(
        'option',
        `option ${name}: value of ${valueOctets.length} octets, at most ${MAX_OPTION_VALUE_BYTES}`,
      );
    }
    writer.bytes(nameOctets).u8(0).bytes(valueOctets).u8(0);
  }
  return writer;
}

function encodeData(packet: DataPacket): Uint8Array {
  if (packet.data.length > MAX_BLOCK_SIZE) {
    throw new EncodeError('range', `DATA of ${packet.data.length} octets, at most ${MAX_BLOCK_SIZE}`);
  }
  return new ByteWriter(4 + packet.data.length)
    .u16(Opcode.data)
    .u16(packet.block)
    .bytes(packet.data)
    .toBytes();
}

function encodeError(packet: ErrorPacket): Uint8Array {
  const message = textToOctets(packet.message, 'error message');
  if (message.length > MAX_ERROR_MESSAGE_BYTES) {
    throw new EncodeError('error-message', `${message.length} octets, at most ${MAX_ERROR_MESSAGE_BYTES}`);
  }
  return new ByteWriter(5 + message.length).u16(Opcode.error).u16(packet.code).bytes(message).u8(0).toBytes();
}

/**
 * The 4-byte header of a DATA packet, for a transport that sends `[header, fileBytes.subarray(…)]` as one datagram
 * (dgram's `send` takes a list of buffers) instead of copying each block of a shared file into a new packet.
 */
export function dataHeader(block: number): Uint8Array {
  return new ByteWriter(4).u16(Opcode.data).u16(block).toBytes();
}
