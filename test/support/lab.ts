// Vitest helpers for tests that need the network lab (real clients in namespaces). A test file reads:
//
//   describeLab('dhclient against fleetboot', () => {
//     const lab = useLab('dhclient');
//     it('gets a lease', async () => { const sw = await lab().addSwitch(); … });
//   });
//
// Where the lab cannot run (not root, no `ip netns`, no nft) the suite is skipped with the reason printed, on a
// developer's machine. In CI (CI set) or with FLEETBOOT_REQUIRE_LAB=1 it fails with the reason instead: a skipped
// suite hides breakage (the project's rule, as for PostgreSQL in test/store/postgres.test.ts).
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Lab, type LabOptions, labUnavailableReason, probeLabFacts } from '../../src/lab/index.js';

export type LabSuitePlan =
  | { readonly kind: 'run' }
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'fail'; readonly reason: string };

/**
 * What a lab suite does, from why the lab cannot run here (undefined: it can) and the environment. A variable
 * counts as set unless it is absent, empty, `0` or `false`: a misspelt value must not turn a failure into a skip.
 */
export function planLabSuite(unavailable: string | undefined, env: NodeJS.ProcessEnv): LabSuitePlan {
  if (unavailable === undefined) return { kind: 'run' };
  const requiredBy = (['CI', 'FLEETBOOT_REQUIRE_LAB'] as const).find((name) => isSet(env[name]));
  if (requiredBy === undefined) return { kind: 'skip', reason: unavailable };
  return {
    kind: 'fail',
    reason:
      `the network lab cannot run: ${unavailable}. ${requiredBy}=${env[requiredBy] ?? ''} requires it, ` +
      'because a skipped suite would hide a broken lab',
  };
}

function isSet(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

const reported = new Set<string>();

/** `describe` for a suite that needs the lab: run, skipped with its reason printed, or failed (see above). */
export function describeLab(name: string, fn: () => void): void {
  const plan = planLabSuite(labUnavailableReason(probeLabFacts()), process.env);
  switch (plan.kind) {
    case 'run':
      describe(name, fn);
      return;
    case 'skip':
      if (!reported.has(name)) {
        reported.add(name);
        console.warn(`skipping "${name}": the network lab cannot run: ${plan.reason}`);
      }
      // The one sanctioned skip: a developer without root (or without `ip netns`) runs everything else; the reason
      // is in the suite's name and printed above. Under CI (or FLEETBOOT_REQUIRE_LAB) planLabSuite says 'fail'
      // instead, so a lab that cannot run never passes CI as skipped tests (tested in test/lab/describe-lab.test.ts).
      describe.skip(`${name} (skipped: ${plan.reason})`, fn);
      return;
    case 'fail':
      // One failing test in place of the suite's: its own tests would only fail in their hooks, less clearly.
      describe(name, () => {
        it('needs the network lab', () => {
          throw new Error(plan.reason);
        });
      });
      return;
  }
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
