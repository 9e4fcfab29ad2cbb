import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderCliReference } from '../support/cli-reference.js';

describe('docs/cli.md', () => {
  it('is what the program prints (regenerate with npm run docs:cli)', () => {
    const committed = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderCliReference());
  });
});
