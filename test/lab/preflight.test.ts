import { describe, expect, it } from 'vitest';
import { type LabFacts, labUnavailableReason, parseEffectiveCapabilities } from '../../src/lab/preflight.js';

const ALL_CAPS = 0x1fffeffffffn;
const ok: LabFacts = { uid: 0, capabilities: ALL_CAPS, ipNetnsError: undefined, nftError: undefined };

describe('whether the lab can run', () => {
  it('can as root with the capabilities and tools', () => {
    expect(labUnavailableReason(ok)).toBeUndefined();
  });

  it('says that root is needed, and which uid it runs as', () => {
    expect(labUnavailableReason({ ...ok, uid: 1000 })).toBe(
      'it needs root to create network namespaces (running as uid 1000); run the tests as root',
    );
  });

  it('says when there is no uid at all', () => {
    expect(labUnavailableReason({ ...ok, uid: undefined })).toMatch(/need Linux/);
  });

  it('names the missing capabilities of a restricted root', () => {
    expect(labUnavailableReason({ ...ok, capabilities: ALL_CAPS & ~(1n << 21n) })).toMatch(
      /without CAP_SYS_ADMIN \(a restricted container\?\)/,
    );
    expect(labUnavailableReason({ ...ok, capabilities: 0n })).toMatch(
      /without CAP_NET_ADMIN and CAP_SYS_ADMIN/,
    );
    expect(labUnavailableReason({ ...ok, capabilities: undefined })).toMatch(/capabilities/);
  });

  it('says which tool is unusable and how to install it', () => {
    expect(labUnavailableReason({ ...ok, ipNetnsError: 'spawn ip ENOENT' })).toBe(
      "'ip netns' is unusable (spawn ip ENOENT); install iproute2 (apt-get install iproute2)",
    );
    expect(labUnavailableReason({ ...ok, nftError: 'spawn nft ENOENT' })).toMatch(/apt-get install nftables/);
  });

  it('reads CapEff from /proc/self/status', () => {
    const status =
      'Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t000001fffeffffff\nCapBnd:\t000001fffeffffff\n';
    expect(parseEffectiveCapabilities(status)).toBe(ALL_CAPS);
    expect(parseEffectiveCapabilities('Name:\tnode\n')).toBeUndefined();
  });
});
