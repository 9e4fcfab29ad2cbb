import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

/** Indexes larger than this once decompressed are not read (Debian's largest Packages file is ~70 MB). */
export const MAX_INDEX_TEXT_BYTES = 512 * 1024 * 1024;

/**
 * The text of a stored index file, decompressed by its magic bytes rather than its name (a by-hash file has no
 * extension): gzip with zlib, xz with the `xz` tool (xz-utils, priority required in Debian; Node has no xz),
 * plain text as is. Undefined for a format the cache does not read (bzip2, zstd, lz4), which only means the
 * packages that index names are not kept.
 */
export async function readIndexText(file: string): Promise<string | undefined> {
  const bytes = await readFile(file);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    return gunzipSync(bytes, { maxOutputLength: MAX_INDEX_TEXT_BYTES }).toString('utf8');
  }
  if (bytes.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    return (await unxz(bytes)).toString('utf8');
  }
  // Compressed formats the cache does not read: bzip2 `BZh`, zstd, lz4 frame.
  if (bytes.subarray(0, 3).toString('latin1') === 'BZh') return undefined;
  if (bytes.readUInt32LE(0) === 0xfd2fb528 || bytes.readUInt32LE(0) === 0x184d2204) return undefined;
  return bytes.toString('utf8');
}

function unxz(input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('xz', ['--decompress', '--stdout', '--quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let total = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > MAX_INDEX_TEXT_BYTES) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      if (total > MAX_INDEX_TEXT_BYTES) reject(new Error(`xz output exceeds ${MAX_INDEX_TEXT_BYTES} bytes`));
      else if (code !== 0) reject(new Error(`xz exited ${code}: ${stderr.trim()}`));
      else resolve(Buffer.concat(chunks));
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}
