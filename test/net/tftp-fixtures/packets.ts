// Building and reading TFTP datagrams in tests.
import { decodeTftpPacket, encodeTftpPacket, type TftpPacket } from '../../../src/protocol/tftp/index.js';

export function rrq(
  filename: string,
  options: Readonly<Record<string, string>> = {},
  mode = 'octet',
): Buffer {
  return Buffer.from(
    encodeTftpPacket({
      kind: 'rrq',
      filename,
      mode: mode === 'netascii' ? 'netascii' : 'octet',
      options: Object.entries(options).map(([name, value]) => ({ name, value })),
    }),
  );
}

export function ack(block: number): Buffer {
  return Buffer.from(encodeTftpPacket({ kind: 'ack', block }));
}

/** DATA blocks 1 … count of `data` at `blockSize`, as the wire carries them (RFC 1350 §5); the last may be short. */
export function dataBlocks(data: Uint8Array, blockSize: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(
      encodeTftpPacket({
        kind: 'data',
        block: i + 1,
        data: data.subarray(i * blockSize, (i + 1) * blockSize),
      }),
    ),
  );
}

export function error(code: number, message = ''): Buffer {
  return Buffer.from(encodeTftpPacket({ kind: 'error', code, message }));
}

export function decode(bytes: Uint8Array): TftpPacket {
  return decodeTftpPacket(bytes);
}

/** The packet as a short description for assertions: `DATA 1 (512)`, `OACK tsize=3`, `ERROR 1`, `ACK 4`. */
export function describe(bytes: Uint8Array): string {
  const p = decodeTftpPacket(bytes);
  switch (p.kind) {
    case 'data':
      return `DATA ${p.block} (${p.data.length})`;
    case 'oack':
      return `OACK ${p.options.map((o) => `${o.name}=${o.value}`).join(' ')}`;
    case 'error':
      return `ERROR ${p.code}`;
    case 'ack':
      return `ACK ${p.block}`;
    case 'rrq':
    case 'wrq':
      return `${p.kind.toUpperCase()} ${p.filename}`;
  }
}
