import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MachineId } from '../../src/inventory/machine.js';
import {
  deriveInstallToken,
  hashInstallToken,
  isInstallTokenShape,
  loadOrCreateSecret,
  loadSecret,
  MissingSecretError,
  SECRET_FILE,
} from '../../src/provision/install-token.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-secret-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ID = '00000000-0000-4000-8000-000000000001' as MachineId;

describe('install tokens', () => {
  it('are derived, so one mark gives one token and another mark another', async () => {
    const secret = await loadOrCreateSecret(tempDir());
    const token = deriveInstallToken(secret, ID, 1000);
    expect(isInstallTokenShape(token)).toBe(true);
    expect(deriveInstallToken(secret, ID, 1000)).toBe(token);
    expect(deriveInstallToken(secret, ID, 1001)).not.toBe(token);
    expect(hashInstallToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('creates the secret once, 0600, and every later load reads the same bytes', async () => {
    const dir = tempDir();
    const first = await loadOrCreateSecret(dir);
    expect(Buffer.from(await loadOrCreateSecret(dir))).toEqual(Buffer.from(first));
    expect(Buffer.from(await loadSecret(dir))).toEqual(Buffer.from(first));
    expect(statSync(path.join(dir, SECRET_FILE)).mode & 0o777).toBe(0o600);
  });

  it('loadSecret never creates one, and says where it should come from', async () => {
    const dir = tempDir();
    await expect(loadSecret(dir)).rejects.toThrow(MissingSecretError);
    await expect(loadSecret(dir)).rejects.toThrow(/copy install-token\.key from a boot server/);
    expect(() => statSync(path.join(dir, SECRET_FILE))).toThrow();
  });
});
