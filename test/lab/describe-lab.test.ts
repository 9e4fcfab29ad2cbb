import { describe, expect, it } from 'vitest';
import { planLabSuite } from '../support/lab.js';

const REASON = 'it needs root to create network namespaces (running as uid 1000); run the tests as root';

describe('whether a lab suite runs, is skipped or fails', () => {
  it('runs wherever the lab is available, required or not', () => {
    expect(planLabSuite(undefined, {})).toEqual({ kind: 'run' });
    expect(planLabSuite(undefined, { CI: 'true', FLEETBOOT_REQUIRE_LAB: '1' })).toEqual({ kind: 'run' });
  });

  it('skips, with the reason, on a developer machine that cannot run it', () => {
    expect(planLabSuite(REASON, {})).toEqual({ kind: 'skip', reason: REASON });
  });

  it.each([
    [{ CI: 'true' }, 'CI=true'],
    [{ CI: '1' }, 'CI=1'],
    [{ CI: 'woodpecker' }, 'CI=woodpecker'],
    [{ FLEETBOOT_REQUIRE_LAB: '1' }, 'FLEETBOOT_REQUIRE_LAB=1'],
    [{ CI: 'true', FLEETBOOT_REQUIRE_LAB: '1' }, 'CI=true'],
  ])('fails with the reason when %o requires the lab', (env, requiredBy) => {
    expect(planLabSuite(REASON, env)).toEqual({
      kind: 'fail',
      reason:
        `the network lab cannot run: ${REASON}. ${requiredBy} requires it, because a skipped suite ` +
        'would hide a broken lab',
    });
  });

  it.each([
    [{ CI: '' }],
    [{ CI: 'false' }],
    [{ CI: 'FALSE' }],
    [{ CI: '0' }],
    [{ FLEETBOOT_REQUIRE_LAB: '0' }],
  ])('treats %o as not required', (env) => {
    expect(planLabSuite(REASON, env)).toEqual({ kind: 'skip', reason: REASON });
  });
});
