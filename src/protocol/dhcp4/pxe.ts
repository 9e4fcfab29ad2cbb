import { type Ipv4, ipv4FromBytes, ipv4ToBytes } from '../../values/ipv4.js';
import { ByteReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import { DecodeError, EncodeError } from '../errors.js';
import type { DhcpMessage } from './message.js';
import type { RawOption } from './raw-option.js';
import { dhcpDecodeError } from './reasons.js';
import { textFromBytes, textToBytes } from './text.js';

/** PXE_DISCOVERY_CONTROL bits (PXE 2.1 Table 2-1; protocol-digest §2.3). */
export const PXE_DISCOVERY_NO_BROADCAST = 0x01;
export const PXE_DISCOVERY_NO_MULTICAST = 0x02;
export const PXE_DISCOVERY_ONLY_LISTED_SERVERS = 0x04;
/** "download the bootfile in the offer, do not prompt, menu or discover": what dnsmasq sends with no menu. */
export const PXE_DISCOVERY_USE_BOOTFILE = 0x08;

/** Sub-option codes inside option 43 when option 60 is PXEClient. */
export const PXE_SUB = {
  discoveryControl: 6,
  multicastAddress: 7,
  bootServers: 8,
  bootMenu: 9,
  menuPrompt: 10,
  bootItem: 71,
} as const;

/** Sub-option 8: servers of one boot-server type (type 0 = PXE bootstrap server). */
export interface PxeBootServer {
  readonly type: number;
  readonly addresses: readonly Ipv4[];
}

/** Sub-option 9: one menu entry. */
export interface PxeMenuItem {
  readonly type: number;
  readonly description: string;
}

/** Sub-option 10: 0 boots the first item at once, 255 waits forever, else seconds to wait for F8. */
export interface PxeMenuPrompt {
  readonly timeout: number;
  readonly prompt: string;
}

/** Sub-option 71: sent by the client to a boot server, echoed in the ACK. Layer bit 15 = BIS credentials. */
export interface PxeBootItem {
  readonly type: number;
  readonly layer: number;
}

/** Option 43 of a PXE exchange, decoded. Sub-options 1–5 (MTFTP) and unknown ones stay raw in `other`. */
export interface PxeVendorOptions {
  readonly discoveryControl?: number;
  readonly multicastAddress?: Ipv4;
  readonly bootServers?: readonly PxeBootServer[];
  readonly bootMenu?: readonly PxeMenuItem[];
  readonly menuPrompt?: PxeMenuPrompt;
  readonly bootItem?: PxeBootItem;
  readonly other?: readonly RawOption[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Decodes PXE sub-options. `offset` is where `data` starts in the datagram (errors point there); every failure is
 * `DecodeError('pxe')`. Pads (0) are skipped, END (255) stops, a missing END is tolerated, as in the main options.
 */
export function decodePxeVendorOptions(data: Uint8Array, offset = 0): PxeVendorOptions {
  const out: Mutable<PxeVendorOptions> = {};
  const other: RawOption[] = [];
  const seen = new Set<number>();
  let i = 0;
  while (i < data.length) {
    const code = data[i] ?? 0;
    if (code === 0) {
      i += 1;
      continue;
    }
    if (code === 255) break;
    const length = data[i + 1];
    if (length === undefined || i + 2 + length > data.length) {
      throw dhcpDecodeError(offset + i, 'pxe', `sub-option ${code} runs past option 43`);
    }
    const at = offset + i + 2;
    const body = data.subarray(i + 2, i + 2 + length);
    if (seen.has(code)) throw dhcpDecodeError(offset + i, 'pxe', `sub-option ${code} repeated`);
    seen.add(code);
    decodeSubOption(code, body, at, out, other);
    i += 2 + length;
  }
  if (other.length > 0) out.other = other;
  return out;
}

function decodeSubOption(
  code: number,
  body: Uint8Array,
  at: number,
  out: Mutable<PxeVendorOptions>,
  other: RawOption[],
): void {
  // Errors inside carry offsets relative to the sub-option's body; the catch below makes them absolute.
  const r = new ByteReader(body);
  const exact = (n: number) => {
    if (body.length !== n) throw new DecodeError(0, 'pxe', `sub-option ${code} of ${body.length} bytes`);
  };
  try {
    switch (code) {
      case PXE_SUB.discoveryControl:
        exact(1);
        out.discoveryControl = r.u8();
        return;
      case PXE_SUB.multicastAddress:
        exact(4);
        out.multicastAddress = ipv4FromBytes(r.take(4));
        return;
      case PXE_SUB.bootServers: {
        const servers: PxeBootServer[] = [];
        while (!r.atEnd()) {
          const type = r.u16();
          const count = r.u8();
          const addresses: Ipv4[] = [];
          for (let n = 0; n < count; n++) addresses.push(ipv4FromBytes(r.take(4)));
          servers.push({ type, addresses });
        }
        out.bootServers = servers;
        return;
      }
      case PXE_SUB.bootMenu: {
        const items: PxeMenuItem[] = [];
        while (!r.atEnd()) {
          const type = r.u16();
          items.push({ type, description: textFromBytes(r.take(r.u8())) });
        }
        out.bootMenu = items;
        return;
      }
      case PXE_SUB.menuPrompt:
        out.menuPrompt = { timeout: r.u8(), prompt: textFromBytes(r.rest()) };
        return;
      case PXE_SUB.bootItem:
        exact(4);
        out.bootItem = { type: r.u16(), layer: r.u16() };
        return;
      default:
        other.push({ code, data: body.slice() });
    }
  } catch (error) {
    if (error instanceof DecodeError) {
      throw dhcpDecodeError(at + error.offset, 'pxe', `sub-option ${code}: ${error.detail}`);
    }
    throw error;
  }
}

/** Encodes PXE sub-options in the order 6, 7, 8, 9, 10, 71, then `other`, then END (PXE 2.1: END-terminated). */
export function encodePxeVendorOptions(options: PxeVendorOptions): Uint8Array {
  const w = new ByteWriter(64);
  const sub = (code: number, body: Uint8Array) => {
    if (body.length > 255) throw new EncodeError('range', `PXE sub-option ${code} of ${body.length} bytes`);
    w.u8(code).u8(body.length).bytes(body);
  };
  if (options.discoveryControl !== undefined)
    sub(6, new ByteWriter(1).u8(options.discoveryControl).toBytes());
  if (options.multicastAddress !== undefined) sub(7, ipv4ToBytes(options.multicastAddress));
  if (options.bootServers !== undefined) {
    const b = new ByteWriter(32);
    for (const s of options.bootServers) {
      b.u16(s.type).u8(s.addresses.length);
      for (const a of s.addresses) b.bytes(ipv4ToBytes(a));
    }
    sub(8, b.toBytes());
  }
  if (options.bootMenu !== undefined) {
    const b = new ByteWriter(64);
    for (const item of options.bootMenu) {
      const text = textToBytes(item.description, 'PXE menu item');
      b.u16(item.type).u8(text.length).bytes(text);
    }
    sub(9, b.toBytes());
  }
  if (options.menuPrompt !== undefined) {
    const text = textToBytes(options.menuPrompt.prompt, 'PXE menu prompt');
    sub(10, new ByteWriter(1 + text.length).u8(options.menuPrompt.timeout).bytes(text).toBytes());
  }
  if (options.bootItem !== undefined) {
    sub(71, new ByteWriter(4).u16(options.bootItem.type).u16(options.bootItem.layer).toBytes());
  }
  for (const o of options.other ?? []) {
    if ((Object.values(PXE_SUB) as number[]).includes(o.code) || o.code === 0 || o.code === 255) {
      throw new EncodeError('range', `PXE sub-option ${o.code} belongs in its typed field`);
    }
    sub(o.code, o.data);
  }
  return w.u8(255).toBytes();
}

/**
 * Option 43 read as PXE sub-options, when the message's option 60 starts with `PXEClient` (the only case where 43
 * means PXE, protocol-digest §2.3); undefined otherwise or without option 43. Throws `DecodeError('pxe')` when the
 * sub-options are malformed. A second stage on purpose: option 43 is vendor-defined, so the message decoder keeps
 * it as bytes and only PXE policy asks for this reading.
 */
export function pxeVendorOptionsOf(message: DhcpMessage): PxeVendorOptions | undefined {
  const data = message.options.vendorSpecific;
  if (data === undefined || !(message.options.vendorClassIdentifier ?? '').startsWith('PXEClient'))
    return undefined;
  return decodePxeVendorOptions(data);
}
