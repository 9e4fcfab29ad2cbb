// Whether the lab can run here, and if not, a reason a person can act on. The decision is a pure function of
// facts gathered once, so every branch is tested without being root.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface LabFacts {
  /** Effective uid; undefined where there is none (not POSIX). */
  readonly uid: number | undefined;
  /** CapEff of /proc/self/status; undefined when it cannot be read. */
  readonly capabilities: bigint | undefined;
  /** Undefined when `ip netns list` works, else what went wrong. */
  readonly ipNetnsError: string | undefined;
  /** Undefined when `nft --version` works, else what went wrong. */
  readonly nftError: string | undefined;
}

// linux/capability.h: creating network namespaces and links needs CAP_NET_ADMIN; `ip netns add/exec` also
// mount (the namespace file, /sys), which needs CAP_SYS_ADMIN.
const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

export function labUnavailableReason(facts: LabFacts): string | undefined {
  if (facts.uid === undefined) return 'network namespaces need Linux';
  if (facts.uid !== 0) {
    return `it needs root to create network namespaces (running as uid ${facts.uid}); run the tests as root`;
  }
  const capabilities = facts.capabilities;
  if (capabilities === undefined) return 'cannot read the capabilities of this process (/proc/self/status)';
  const required: [string, bigint][] = [
    ['CAP_NET_ADMIN', CAP_NET_ADMIN],
    ['CAP_SYS_ADMIN', CAP_SYS_ADMIN],
  ];
  const missing = required.flatMap(([name, bit]) => ((capabilities >> bit) & 1n ? [] : [name]));
  if (missing.length > 0) {
    return `running as root without ${missing.join(' and ')} (a restricted container?): namespaces cannot be created`;
  }
  if (facts.ipNetnsError !== undefined) {
    return `'ip netns' is unusable (${facts.ipNetnsError}); install iproute2 (apt-get install iproute2)`;
  }
  if (facts.nftError !== undefined) {
    return `'nft' is unusable (${facts.nftError}); install nftables (apt-get install nftables)`;
  }
  return undefined;
}

/** Reads CapEff (hex) out of /proc/PID/status text. */
export function parseEffectiveCapabilities(status: string): bigint | undefined {
  const m = /^CapEff:\s*([0-9a-f]+)$/im.exec(status);
  return m?.[1] === undefined ? undefined : BigInt(`0x${m[1]}`);
}

let cached: LabFacts | undefined;

/** Gathers the facts once per process: none of them changes while it runs. */
export function probeLabFacts(): LabFacts {
  cached ??= {
    uid: process.geteuid?.(),
    capabilities: readCapabilities(),
    ipNetnsError: commandError('ip', ['netns', 'list']),
    nftError: commandError('nft', ['--version']),
  };
  return cached;
}

function readCapabilities(): bigint | undefined {
  try {
    return parseEffectiveCapabilities(readFileSync('/proc/self/status', 'utf8'));
  } catch {
    return undefined;
  }
}

function commandError(command: string, args: readonly string[]): string | undefined {
  try {
    execFileSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5_000 });
    return undefined;
  } catch (error: unknown) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const text = Buffer.isBuffer(stderr) ? stderr.toString('utf8').trim() : '';
    return text || (error instanceof Error ? error.message : String(error));
  }
}
