import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** Indexes larger than this once decompressed are not read (Debian's largest Packages file is ~70 MB). */
export const MAX_INDEX_TEXT_BYTES = 512 * 1024 * 1024;

/** Release files, repomd.xml and SHA256SUMS are small (Debian's InRelease is ~150 KB); anything larger is not one. */
export const MAX_LISTING_BYTES = 64 * 1024 * 1024;

/** How a stored index file is compressed, from its first bytes (a by-hash file has no extension to go by). */
export type Compression = 'gzip' | 'xz' | 'bzip2' | 'zstd' | 'lz4' | 'none';

export function sniffCompression(head: Uint8Array): Compression {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return 'xz';
  if (b.subarray(0, 3).toString('latin1') === 'BZh') return 'bzip2';
  if (b.length >= 4 && b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (b.length >= 4 && b.readUInt32LE(0) === 0x184d2204) return 'lz4';
  return 'none';
}

/** An index the cache cannot read (a format it does not decompress, a missing tool, or one over the size bound). */
export class UnreadableIndexError extends Error {
  override readonly name = 'UnreadableIndexError';
}

/**
 * Debian's own decompressors for the formats Node 20 has no codec for (its zlib does gzip, deflate and brotli
 * only). xz-utils is priority required; bzip2 and zstd are small standard packages. A separate process keeps a
 * decoder fault out of the server, and each decoder's memory is bounded, as the stream header alone (a tiny file
 * from upstream) decides how much it asks for:
 * - xz reserves the dictionary the header names (up to 4 GiB) unless told a limit, and then refuses the stream.
 *   Archive indexes use xz's default 8 MiB dictionary or so; even `xz -9` needs only 65 MiB to decode.
 * - zstd refuses a window over 128 MiB by default; the limit is given anyway, so it does not rest on a default.
 * - bzip2 needs no limit: its blocks are at most 900 kB, its decoder ~3.7 MB whatever the stream says.
 * lz4 is not read: no Debian or Fedora archive publishes lz4 indexes, so an index in it only vouches for nothing
 * (its packages are passed through unkept).
 */
const DECODER_MEMORY = '256MiB';
const TOOLS: Partial<Record<Compression, readonly [string, readonly string[]]>> = {
  xz: ['xz', ['--decompress', '--stdout', '--quiet', `--memlimit-decompress=${DECODER_MEMORY}`]],
  bzip2: ['bzip2', ['--decompress', '--stdout', '--quiet']],
  zstd: ['zstd', ['--decompress', '--stdout', '--quiet', `--memory=${DECODER_MEMORY}`]],
};

/**
 * The decompressed bytes of a stored index file, as they are decoded, never more than `limit` in all (a bomb
 * stops there with an UnreadableIndexError). Streaming, so a 150 MB rpm primary.xml never sits in memory whole.
 */
export async function* decompressedChunks(
  file: string,
  limit = MAX_INDEX_TEXT_BYTES,
): AsyncGenerator<Buffer, void, undefined> {
  const compression = await sniffFile(file);
  if (compression === 'lz4') throw new UnreadableIndexError('lz4 indexes are not read');
  const tool = TOOLS[compression];
  const source = tool === undefined ? gunzipOrPlain(file, compression) : viaTool(file, tool[0], tool[1]);
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limit) {
      await source.return(undefined);
      throw new UnreadableIndexError(`the index decompresses to more than ${limit} bytes`);
    }
    yield chunk;
  }
}

/** The whole text of a stored index file (plain, gzip, xz, bzip2 or zstd), bounded as above. */
export async function readIndexText(file: string, limit = MAX_INDEX_TEXT_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of decompressedChunks(file, limit)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function sniffFile(file: string): Promise<Compression> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffCompression(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

async function* gunzipOrPlain(
  file: string,
  compression: Compression,
): AsyncGenerator<Buffer, void, undefined> {
  const input = createReadStream(file);
  if (compression !== 'gzip') {
    yield* input as AsyncIterable<Buffer>;
    return;
  }
  const gunzip = createGunzip();
  input.on('error', (error) => gunzip.destroy(error));
  try {
    yield* input.pipe(gunzip) as AsyncIterable<Buffer>;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
}

async function* viaTool(
  file: string,
  command: string,
  args: readonly string[],
): AsyncGenerator<Buffer, void, undefined> {
  const input = createReadStream(file);
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let spawnError: Error | undefined;
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      resolve(null);
    });
    child.once('close', (code) => {
      resolve(code);
    });
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString('utf8');
  });
  child.stdin.on('error', () => undefined);
  input.on('error', () => child.kill('SIGKILL'));
  input.pipe(child.stdin);
  let complete = false;
  try {
    yield* child.stdout as AsyncIterable<Buffer>;
    complete = true;
  } finally {
    // Stopped early (a bound, a parse error) or done: either way no decoder outlives its reader.
    if (!complete) child.kill('SIGKILL');
    input.destroy();
  }
  const code = await exited;
  if (spawnError !== undefined)
    throw new UnreadableIndexError(`cannot run ${command}: ${spawnError.message}`);
  if (code !== 0) throw new UnreadableIndexError(`${command} exited ${String(code)}: ${stderr.trim()}`);
}
