import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../support/config-text.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const yamlBlocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

describe('README.md', () => {
  it('has configuration examples', () => {
    expect(yamlBlocks.length).toBeGreaterThan(0);
  });

  it.each(yamlBlocks.map((text, i) => [i + 1, text] as const))(
    'example %i loads without errors',
    (_n, text) => {
      expect(() => loadConfigText(text)).not.toThrow();
    },
  );

  it('names the test command that .ci/run runs', () => {
    const ci = readFileSync(new URL('../../.ci/run', import.meta.url), 'utf8');
    const command = /^scripts\/setup-test\.sh && .*npm test$/m.exec(readme)?.[0];
    expect(command).toBeDefined();
    expect(ci).toContain(command!);
  });
});
