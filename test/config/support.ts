import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect } from 'vitest';
import { ConfigError, type ConfigDiagnostic, loadConfig, type LoadedConfig } from '../../src/config/load.js';

/** A scratch directory for this test file, removed when its tests end. */
export function scratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-config-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes `text` as <dir>/fleetboot.yaml and loads it from <dir>, with only the given environment. */
export function loadText(dir: string, text: string, env: NodeJS.ProcessEnv = {}): LoadedConfig {
  writeFileSync(path.join(dir, 'fleetboot.yaml'), text);
  return loadConfig({ path: 'fleetboot.yaml', cwd: dir, env });
}

/** The ConfigError that loading must throw. */
export function loadError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  expect.fail('expected the configuration to be rejected');
}

export function diagnosticsOf(dir: string, text: string, env: NodeJS.ProcessEnv = {}): ConfigDiagnostic[] {
  return [...loadError(() => loadText(dir, text, env)).diagnostics];
}

/** `path: message` of each problem, the part most tests care about. */
export function problemsOf(dir: string, text: string, env: NodeJS.ProcessEnv = {}): string[] {
  return diagnosticsOf(dir, text, env).map((d) => `${d.path}: ${d.message}`);
}
