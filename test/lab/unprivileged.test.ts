import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeLab } from '../support/lab.js';

// The refusal path end to end: root drops to uid 65534 (setpriv, util-linux) and tries to create a lab.
// Nothing is created, and the error says why.

const LAB = fileURLToPath(new URL('../../src/lab/index.ts', import.meta.url));
const SCRIPT = `
const { Lab, labUnavailableReason, probeLabFacts } = await import(${JSON.stringify(LAB)});
console.log(labUnavailableReason(probeLabFacts()));
try {
  await Lab.create({ name: 'unprivileged' });
  console.log('created');
} catch (error) {
  console.log(error.name + ': ' + error.message);
}`;

describeLab('the lab run without root', () => {
  it('refuses to create anything and says why', async () => {
    const { stdout } = await promisify(execFile)(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '-e', SCRIPT],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 30_000 },
    );
    const reason = 'it needs root to create network namespaces (running as uid 65534); run the tests as root';
    expect(stdout).toBe(`${reason}\nLabUnavailableError: the network lab cannot run: ${reason}\n`);
  });
});
