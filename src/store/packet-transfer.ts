// Captured packets across the SQLite writer thread's message port (sqlite-writer.ts). postMessage clones each
// packet's payload as an ArrayBuffer of its own, and the capture recorder sends up to 500 packets per call, four per
// DHCP exchange under load: in profiles of `fleetboot serve` that clone was the largest of the main thread's
// postMessage costs. Packed, the payloads travel as one buffer, moved rather than copied (a transfer), and the
// worker reads each payload as a view into it.
import type { NewCapturedPacket, UdpAddress } from '../inventory/capture.js';

/**
 * A packet as it crosses: flat (fewer objects for postMessage to clone), its payload a range of the shared buffer.
 * Only the fields of NewCapturedPacket go, which is all the store reads.
 */
interface PackedPacket {
  readonly at: NewCapturedPacket['at'];
  readonly mac: NewCapturedPacket['mac'];
  readonly protocol: NewCapturedPacket['protocol'];
  readonly direction: NewCapturedPacket['direction'];
  readonly sourceAddress: UdpAddress['address'];
  readonly sourcePort: UdpAddress['port'];
  readonly destinationAddress: UdpAddress['address'];
  readonly destinationPort: UdpAddress['port'];
  readonly payloadLength: number;
  readonly payloadOffset: number;
  readonly payloadSize: number;
}

export interface PackedPackets {
  readonly kind: 'packed-packets';
  readonly packets: readonly PackedPacket[];
  readonly payloads: ArrayBuffer;
}

/**
 * The packets with their payloads copied into one new buffer (the callers' payloads are left as they are: the
 * capture recorder may send a packet again), and that buffer to transfer. Anything that is not an array of packets
 * with byte payloads and address objects goes as it is, for the store to refuse as it would have.
 */
export function packPackets(packets: unknown): { value: unknown; transfer: ArrayBuffer[] } {
  if (!Array.isArray(packets)) return { value: packets, transfer: [] };
  let size = 0;
  for (const packet of packets as unknown[]) {
    const { payload, source, destination } = (packet ?? {}) as Record<string, unknown>;
    if (!(payload instanceof Uint8Array) || !isObject(source) || !isObject(destination)) {
      return { value: packets, transfer: [] };
    }
    size += payload.byteLength;
  }
  const buffer = new ArrayBuffer(size);
  const bytes = new Uint8Array(buffer);
  let offset = 0;
  const packed = (packets as NewCapturedPacket[]).map((packet): PackedPacket => {
    const { payload } = packet;
    bytes.set(payload, offset);
    // Written out rather than with a rest pattern, which V8 runs far slower (it was most of this function's time).
    const entry: PackedPacket = {
      at: packet.at,
      mac: packet.mac,
      protocol: packet.protocol,
      direction: packet.direction,
      sourceAddress: packet.source.address,
      sourcePort: packet.source.port,
      destinationAddress: packet.destination.address,
      destinationPort: packet.destination.port,
      payloadLength: packet.payloadLength,
      payloadOffset: offset,
      payloadSize: payload.byteLength,
    };
    offset += payload.byteLength;
    return entry;
  });
  const value: PackedPackets = { kind: 'packed-packets', packets: packed, payloads: buffer };
  return { value, transfer: [buffer] };
}

/** The packets again, each payload a view into the transferred buffer; anything else as it came. */
export function unpackPackets(value: unknown): unknown {
  if (!isPacked(value)) return value;
  return value.packets.map((packet): NewCapturedPacket => ({
    at: packet.at,
    mac: packet.mac,
    protocol: packet.protocol,
    direction: packet.direction,
    source: { address: packet.sourceAddress, port: packet.sourcePort },
    destination: { address: packet.destinationAddress, port: packet.destinationPort },
    payload: new Uint8Array(value.payloads, packet.payloadOffset, packet.payloadSize),
    payloadLength: packet.payloadLength,
  }));
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null;
}

function isPacked(value: unknown): value is PackedPackets {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'packed-packets' &&
    (value as { payloads?: unknown }).payloads instanceof ArrayBuffer
  );
}

/** The writer method whose first argument is captured packets (CaptureStore.append). */
const APPEND_CAPTURES = 'appendCaptures';

/** A writer call's arguments as they cross the port, and the buffers moved with them: captured packets go packed. */
export function argsToSend(method: string, args: readonly unknown[]): [unknown[], ArrayBuffer[]] {
  if (method !== APPEND_CAPTURES) return [[...args], []];
  const [packets, ...rest] = args;
  const { value, transfer } = packPackets(packets);
  return [[value, ...rest], transfer];
}

/** The worker's side of argsToSend. */
export function receivedArgs(method: string, args: readonly unknown[]): readonly unknown[] {
  if (method !== APPEND_CAPTURES) return args;
  const [packets, ...rest] = args;
  return [unpackPackets(packets), ...rest];
}
