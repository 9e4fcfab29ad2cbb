// Writes docs/configuration.md from the config schema (`npm run docs:config`). test/config/reference.test.ts
// fails when the committed file differs from what this writes, so run it after changing src/config/schema.ts.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderConfigReference } from '../src/config/reference.js';

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
writeFileSync(target, renderConfigReference());
console.log(`wrote ${target}`);
