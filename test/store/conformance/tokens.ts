import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NewApiToken } from '../../../src/inventory/api-token.js';
import { InvalidInputError, TokenNameTakenError } from '../../../src/store/errors.js';
import type { StoreHarness } from '../harness.js';
import { fresh } from './setup.js';

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

const token = (name: string, role: NewApiToken['role'] = 'viewer'): NewApiToken => ({
  name,
  role,
  createdBy: 'cli',
  tokenHash: hashOf(`secret-of-${name}`),
});

export function tokenConformance(harness: StoreHarness): void {
  describe('API tokens', () => {
    it('creates, finds by hash, lists without hashes, and stops finding a revoked token', async () => {
      const { store, clock } = await fresh(harness);
      const ops = await store.tokens.create(token('ops', 'operator'));
      expect(ops).toMatchObject({ name: 'ops', role: 'operator', createdBy: 'cli', revokedAt: null });
      expect(ops.createdAt).toBe(clock.now());
      clock.advance(5);
      await store.tokens.create(token('audit'));

      expect(await store.tokens.findActiveByHash(hashOf('secret-of-ops'))).toEqual(ops);
      expect(await store.tokens.findActiveByHash(hashOf('no such token'))).toBeUndefined();
      expect(await store.tokens.findActiveByHash('not-a-hash')).toBeUndefined();

      const listed = await store.tokens.list();
      expect(listed.map((t) => t.name)).toEqual(['ops', 'audit']);
      expect(JSON.stringify(listed)).not.toContain(hashOf('secret-of-ops'));

      clock.advance(5);
      const revoked = await store.tokens.revoke('ops');
      expect(revoked).toMatchObject({ name: 'ops', revokedAt: clock.now() });
      expect(await store.tokens.findActiveByHash(hashOf('secret-of-ops'))).toBeUndefined();
      clock.advance(5);
      // Revoking again keeps the first time.
      expect((await store.tokens.revoke('ops'))?.revokedAt).toBe(revoked?.revokedAt);
      expect(await store.tokens.revoke('nobody')).toBeUndefined();
    });

    it('refuses a taken name, even a revoked one, and malformed input', async () => {
      const { store } = await fresh(harness);
      await store.tokens.create(token('ops'));
      await store.tokens.revoke('ops');
      await expect(
        store.tokens.create({ ...token('ops'), tokenHash: hashOf('other') }),
      ).rejects.toBeInstanceOf(TokenNameTakenError);
      await expect(store.tokens.create(token('Bad Name'))).rejects.toBeInstanceOf(InvalidInputError);
      await expect(store.tokens.create({ ...token('x'), tokenHash: 'ABC' })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
      await expect(
        store.tokens.create({ ...token('y'), role: 'root' as NewApiToken['role'] }),
      ).rejects.toBeInstanceOf(InvalidInputError);
      expect((await store.tokens.list()).map((t) => t.name)).toEqual(['ops']);
    });

    it('keeps tokens across a reopen', async () => {
      const { target, store } = await fresh(harness);
      const created = await store.tokens.create(token('keeper', 'admin'));
      await store.close();
      const reopened = await target.open();
      expect(await reopened.tokens.findActiveByHash(hashOf('secret-of-keeper'))).toEqual(created);
    });
  });
}
