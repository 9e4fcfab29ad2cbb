import { describe, expect, it } from 'vitest';
import { createBlockSource } from '../../src/net/tftp-block-source.js';
import { memoryFile, type TftpFile } from '../../src/net/tftp-file.js';
import { toNetascii } from '../../src/protocol/tftp/index.js';
import { patterned } from './tftp-fixtures/fs.js';

/** The same content as a file that is not in memory: every read goes through `read`. */
function streamed(bytes: Uint8Array): TftpFile {
  return {
    ...memoryFile('f', 'root', '/f', bytes),
    bytes: undefined,
    read: (offset, length) => Promise.resolve(bytes.slice(offset, offset + length)),
  };
}

async function allBlocks(file: TftpFile, mode: 'octet' | 'netascii', blockSize: number, window: number) {
  const source = await createBlockSource(file, mode, blockSize);
  const out: Uint8Array[] = [];
  for (let first = 1; first <= source.totalBlocks; first += window) {
    const count = Math.min(window, source.totalBlocks - first + 1);
    out.push(...(await source.blocks(first, count)));
    source.acknowledge(first + count - 1);
  }
  return { source, out };
}

describe('block sources', () => {
  const content = patterned(10_000);

  it.each([
    ['in memory', memoryFile('f', 'root', '/f', content)],
    ['streamed', streamed(content)],
  ])('octet, %s: blocks of the file, a short final block', async (_name, file) => {
    const { source, out } = await allBlocks(file, 'octet', 512, 4);
    expect(source.totalBlocks).toBe(20);
    expect(out.map((b) => b.length)).toEqual([...Array<number>(19).fill(512), 10_000 - 19 * 512]);
    expect(Buffer.concat(out)).toEqual(Buffer.from(content));
  });

  it('octet: a size that is a multiple of the block size ends with an empty block (RFC 1350 §6)', async () => {
    const { source, out } = await allBlocks(memoryFile('f', 'root', '/f', patterned(1024)), 'octet', 512, 1);
    expect(source.totalBlocks).toBe(3);
    expect(out.map((b) => b.length)).toEqual([512, 512, 0]);
  });

  it('octet in memory: the shared buffer itself, and blocks as views into it', async () => {
    const source = await createBlockSource(memoryFile('f', 'root', '/f', content), 'octet', 512);
    expect(source.memory).toBe(content);
    const [first, second] = await source.blocks(1, 2);
    expect(first?.buffer).toBe(content.buffer);
    expect(second).toEqual(content.subarray(512, 1024));
  });

  it.each([
    ['in memory', memoryFile('f', 'root', '/f', Buffer.from('a\nb\rc\r\n'.repeat(300)))],
    ['streamed', streamed(Buffer.from('a\nb\rc\r\n'.repeat(300)))],
  ])(
    'netascii, %s: the converted stream, cut into blocks, the size by netasciiLength',
    async (_name, file) => {
      const expected = toNetascii(Buffer.from('a\nb\rc\r\n'.repeat(300)));
      const { source, out } = await allBlocks(file, 'netascii', 100, 3);
      expect(source.streamSize).toBe(expected.length);
      expect(source.totalBlocks).toBe(Math.floor(expected.length / 100) + 1);
      expect(Buffer.concat(out)).toEqual(Buffer.from(expected));
    },
  );

  it('netascii: a retransmission starts at the kept cursor of the first unacknowledged block', async () => {
    const text = Buffer.from('line\n'.repeat(100));
    const source = await createBlockSource(memoryFile('f', 'root', '/f', text), 'netascii', 64);
    const first = await source.blocks(1, 4);
    source.acknowledge(2);
    expect(await source.blocks(3, 2)).toEqual(first.slice(2));
    await expect(source.blocks(1, 1)).rejects.toThrow(/out of order/);
  });

  it('a streamed file that shrank under the transfer is a read error, not a short block', async () => {
    const file = { ...streamed(content), read: () => Promise.resolve(new Uint8Array(100)) };
    const source = await createBlockSource(file, 'octet', 512);
    await expect(source.blocks(1, 4)).rejects.toThrow(/shrank/);
  });
});
