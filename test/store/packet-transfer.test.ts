import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { NewCapturedPacket } from '../../src/inventory/capture.js';
import { argsToSend, receivedArgs } from '../../src/store/packet-transfer.js';
import { ip, mac } from './fixtures.js';

function packet(n: number, payload: Uint8Array): NewCapturedPacket {
  return {
    at: 1_767_225_600_000 + n,
    mac: mac(n),
    protocol: n % 2 === 0 ? 'dhcp' : 'tftp',
    direction: n % 3 === 0 ? 'in' : 'out',
    source: { address: ip('0.0.0.0'), port: 68 },
    destination: { address: ip('255.255.255.255'), port: 67 },
    payload,
    payloadLength: payload.length + n,
  };
}

/** The arguments through a real message port, as the writer thread gets them. */
function across(method: string, args: readonly unknown[]): readonly unknown[] {
  const { port1, port2 } = new MessageChannel();
  try {
    const [value, transfer] = argsToSend(method, args);
    port1.postMessage(value, transfer);
    const received = receiveMessageOnPort(port2);
    if (received === undefined) throw new Error('nothing arrived');
    return receivedArgs(method, received.message as unknown[]);
  } finally {
    port1.close();
    port2.close();
  }
}

describe('captured packets across the writer thread', () => {
  it('arrive as sent, payloads byte for byte, and the sender keeps its own', () => {
    // Views into larger buffers, an empty payload, and payloads sharing one buffer.
    const shared = Uint8Array.from({ length: 64 }, (_, i) => i);
    const packets = [
      packet(1, shared.subarray(3, 10)),
      packet(2, new Uint8Array(0)),
      packet(3, shared.subarray(8, 60)),
      packet(
        4,
        Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff),
      ),
    ];
    const copies = packets.map((p) => Uint8Array.from(p.payload));
    const bound = { packets: 10, bytes: 100 };
    const [received, receivedBound] = across('appendCaptures', [packets, bound]);
    expect(receivedBound).toEqual(bound);
    expect(received).toEqual(packets);
    for (const [i, p] of (received as NewCapturedPacket[]).entries()) {
      expect(p.payload).toBeInstanceOf(Uint8Array);
      expect(Array.from(p.payload)).toEqual(Array.from(copies[i] ?? []));
    }
    // Nothing of the caller's was moved away: a packet the recorder tries again still has its bytes.
    expect(packets.map((p) => Array.from(p.payload))).toEqual(copies.map((c) => Array.from(c)));
    expect(shared.byteLength).toBe(64);
  });

  it('leave what is not packets with byte payloads as it is, for the store to refuse', () => {
    const odd = [{ ...packet(1, Uint8Array.of(1)), payload: [1, 2, 3] }];
    expect(across('appendCaptures', [odd, { packets: 1, bytes: 1 }])).toEqual([
      odd,
      { packets: 1, bytes: 1 },
    ]);
    expect(across('appendCaptures', ['nonsense', 1])).toEqual(['nonsense', 1]);
    const nowhere = [{ ...packet(1, Uint8Array.of(1)), source: null }];
    expect(across('appendCaptures', [nowhere, 1])).toEqual([nowhere, 1]);
    expect(across('appendCaptures', [[null], 1])).toEqual([[null], 1]);
  });

  it('change no other call', () => {
    const events = [{ mac: mac(1), source: 'dhcp', kind: 'DHCPDISCOVER', details: { payload: [1] } }];
    expect(argsToSend('appendEvents', [events])).toEqual([[events], []]);
    expect(receivedArgs('appendEvents', [events])).toEqual([events]);
  });
});
