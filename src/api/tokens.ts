// API token values (issue 6, item 2). A token is 256 random bits, base64url, behind a prefix that makes a leaked
// one easy to recognise (secret scanners, `grep fbt_` in a log). Only its SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import type { ApiRole, ApiToken } from '../inventory/api-token.js';
import type { TokenStore } from '../store/types.js';

const PREFIX = 'fbt_';
/** 32 bytes in base64url without padding: 43 characters. */
const TOKEN_SHAPE = /^fbt_[A-Za-z0-9_-]{43}$/;

export function generateApiToken(): string {
  return PREFIX + randomBytes(32).toString('base64url');
}

/**
 * Whether `text` can be a token at all. Everything else (empty, `null`, `-1`, `0`, `undefined`, very long,
 * Unicode look-alikes, whitespace) is refused before any lookup (reliability-catalogue S01, Cobbler
 * CVE-2024-47533's `-1` sentinel).
 */
export function isApiTokenShape(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

/**
 * Lower-case hex SHA-256: the key the store finds a token by. A plain hash, not a slow KDF, because the token is
 * 256 random bits (nothing to brute-force), and a lookup by hash needs no constant-time comparison: timing can
 * tell an attacker at most how the hash of a guess of theirs compares to stored hashes, which says nothing about
 * any token (finding one from it means inverting SHA-256).
 */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Creates a token of this name and role; returns the stored record and the token, which is shown once. */
export async function createApiToken(
  tokens: TokenStore,
  request: { readonly name: string; readonly role: ApiRole; readonly createdBy: string },
): Promise<{ readonly token: ApiToken; readonly secret: string }> {
  const secret = generateApiToken();
  const token = await tokens.create({ ...request, tokenHash: hashApiToken(secret) });
  return { token, secret };
}
