// A UDP datagram with source port 0 on loopback. No socket API binds port 0 (it means "any port"), so the datagram
// is built by hand on a raw socket (python3, which node-gyp already needs; CAP_NET_RAW, as the network lab's tests).
import { execFileSync } from 'node:child_process';

const SEND = `
import socket, struct, sys
port, payload = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
# RFC 768: source port, destination port, length, checksum (0: none, allowed over IPv4).
header = struct.pack('!HHHH', 0, port, 8 + len(payload), 0)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.sendto(header + payload, ('127.0.0.1', 0))
`;

/** Sends `payload` to 127.0.0.1:`port` from UDP source port 0. */
export function sendFromPortZero(payload: Uint8Array, port: number): void {
  execFileSync('python3', ['-c', SEND, String(port), Buffer.from(payload).toString('hex')], {
    timeout: 5_000,
  });
}
