import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineId } from '../inventory/machine.js';
import type { EpochMs } from '../inventory/time.js';

/**
 * A machine's install token (catalogue S07, H06): the secret in its answer-file and callback URLs. It is derived,
 * not stored: HMAC-SHA256(server secret, machine id + mark time), so every boot config of one mark carries the
 * same token and the store keeps only its hash (InstallMark.tokenHash). A new mark gives a new token; a database
 * dump gives none. Servers sharing one fleet (PostgreSQL) share the secret file.
 */
export function deriveInstallToken(secret: Uint8Array, machineId: MachineId, markedAt: EpochMs): string {
  return createHmac('sha256', secret)
    .update(`fleetboot install token\n${machineId}\n${markedAt}`)
    .digest('base64url');
}

/** What the store keeps and looks the token up by: SHA-256 of the token, lower-case hex. */
export function hashInstallToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Tokens are 43 base64url characters (256 bits); anything else is refused before a lookup. */
export function isInstallTokenShape(text: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(text);
}

/** Compares two token hashes in constant time. */
export function sameTokenHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

export const SECRET_FILE = 'install-token.key';

/**
 * The server secret: 32 random bytes in `<dataDir>/install-token.key`, created 0600 on first use (exclusive
 * create, so two servers starting at once keep one). Several boot servers of one fleet copy this file.
 */
export async function loadOrCreateSecret(dataDir: string): Promise<Uint8Array> {
  const file = path.join(dataDir, SECRET_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o750 });
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(randomBytes(32));
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readSecret(file);
}

/** Raised by loadSecret when there is no secret file: the message says where it should come from. */
export class MissingSecretError extends Error {
  override readonly name = 'MissingSecretError';
}

/**
 * The server secret, never created: for a client of a shared store (PostgreSQL) whose data directory need not be a
 * boot server's. A secret made there would differ from the servers', so every mark it wrote would carry a token
 * hash no server can derive, and the machine would boot locally until the mark expired.
 */
export async function loadSecret(dataDir: string): Promise<Uint8Array> {
  const file = path.join(dataDir, SECRET_FILE);
  try {
    return await readSecret(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new MissingSecretError(
      `no install-token secret at ${file}: with a shared PostgreSQL store, copy ${SECRET_FILE} from a boot server's data directory`,
    );
  }
}

async function readSecret(file: string): Promise<Uint8Array> {
  const secret = await readFile(file);
  if (secret.length < 32)
    throw new Error(`${file} holds ${secret.length} bytes; a secret needs 32 (delete it to make a new one)`);
  return secret;
}
