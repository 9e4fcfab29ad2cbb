import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';

/** Loads YAML text as fleetboot.yaml in a scratch directory, with no environment overrides. */
export function loadConfigText(text: string): ReturnType<typeof loadConfig> {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-config-'));
  const file = path.join(dir, 'fleetboot.yaml');
  writeFileSync(file, text);
  return loadConfig({ path: file, env: {}, cwd: dir });
}
