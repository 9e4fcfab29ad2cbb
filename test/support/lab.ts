// Vitest helpers for tests that need the network lab (real clients in namespaces). A test file reads:
//
//   describeLab('dhclient against fleetboot', () => {
//     const lab = useLab('dhclient');
//     it('gets a lease', async () => { const sw = await lab().addSwitch(); … });
//   });
//
// Without root (or without `ip netns`/nft) the suite is skipped, and the reason is printed and put in its name.
import { afterAll, beforeAll, describe } from 'vitest';
import { Lab, type LabOptions, labUnavailableReason, probeLabFacts } from '../../src/lab/index.js';

const reported = new Set<string>();

/** Why lab tests cannot run in this process, or undefined when they can. */
export function labSkipReason(): string | undefined {
  return labUnavailableReason(probeLabFacts());
}

/** `describe` for a suite that needs the lab: skipped, with its reason printed, where the lab cannot run. */
export function describeLab(name: string, fn: () => void): void {
  const reason = labSkipReason();
  if (reason !== undefined && !reported.has(name)) {
    reported.add(name);
    console.warn(`skipping "${name}": the network lab cannot run: ${reason}`);
  }
  describe.skipIf(reason !== undefined)(reason === undefined ? name : `${name} (skipped: ${reason})`, fn);
}

/**
 * One lab for the enclosing describe block: created before its tests, destroyed after them (and by the exit
 * handlers or the next run's sweep if the worker dies). Returns a getter, valid inside tests and hooks.
 */
export function useLab(name: string, options: Omit<LabOptions, 'name'> = {}): () => Lab {
  let lab: Lab | undefined;
  beforeAll(async () => {
    lab = await Lab.create({ ...options, name });
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  return () => {
    if (lab === undefined) throw new Error(`the lab "${name}" is used outside its describe block`);
    return lab;
  };
}
