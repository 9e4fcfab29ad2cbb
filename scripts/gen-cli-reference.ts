// Writes docs/cli.md from the `--help` of every command, so the reference is the program's own text.
// Run: node --import tsx scripts/gen-cli-reference.ts   (test/cli/docs.test.ts checks it is up to date)
import { writeFileSync } from 'node:fs';
import { renderCliReference } from '../test/support/cli-reference.js';

writeFileSync(new URL('../docs/cli.md', import.meta.url), renderCliReference());
console.log('wrote docs/cli.md');
