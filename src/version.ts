import { readFileSync } from 'node:fs';

/**
 * fleetboot's version, read once from its package.json (one directory above both src/ and dist/), so the
 * version has one source of truth.
 */
export const VERSION: string = readVersion();

function readVersion(): string {
  const raw: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  if (typeof raw === 'object' && raw !== null && 'version' in raw && typeof raw.version === 'string') {
    return raw.version;
  }
  throw new Error('package.json has no version');
}
