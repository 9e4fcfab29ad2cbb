import type { AnswerContext } from '../../src/answers/context.js';
import type { JsonObject } from '../../src/inventory/json.js';

// Real hashes of "correct horse", made with libxcrypt (Python's crypt) and `openssl passwd -6`.
export const YESCRYPT = '$y$j9T$F5Jx5fExrKuPp53xLKQ..1$zwtVrjrUCmXcyLTs6oxLTQlzifSUkF8RHJ./tK5KU79';
export const SHA512CRYPT =
  '$6$66fVeDIkZ5ViGch/$kdVxEwsvZRIuRACZ8k.2miodbkkCMZhEF6oFgrShQE86TyUcdaRVJ5gD3B45n9BQDGcXoAzlJHQw1JKc6FStd/';
export const SSH_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGc4aGVsbG8td29ybGQtZmxlZXRib290LXRlc3Qtaw ops@laptop';

export const SAMPLE_VARIABLES: JsonObject = {
  disk: '/dev/vda',
  username: 'ops',
  userFullName: 'Fleet Operator',
  userPasswordHash: YESCRYPT,
  rootPasswordHash: SHA512CRYPT,
  sshKeys: [SSH_KEY],
  packages: ['curl', 'openssh-server'],
  locale: 'en_GB.UTF-8',
  keyboard: 'gb',
  timezone: 'Europe/London',
};

/** A machine's context as the boot routes build it, with every optional part present unless overridden. */
export function sampleContext(
  variables: JsonObject = SAMPLE_VARIABLES,
  overrides: { hostname?: string; urls?: Partial<AnswerContext['urls']> } = {},
): AnswerContext {
  const token = 'q8mKkE2c0n8m8c2Jb1mH3nY3pL5lH7bT9fV1xQ2wZ4a';
  return {
    machine: {
      id: '3f0c6a52-9d4e-4e57-8b0b-0c1d2e3f4a5b',
      hostname: overrides.hostname ?? 'node01.lab.example',
      mac: '52:54:00:12:34:56',
      macs: ['52:54:00:12:34:56'],
      ip: '10.0.0.5',
      labels: { rack: 'r12' },
    },
    profile: { name: 'web', os: 'debian-12-amd64', variables },
    os: { name: 'debian-12-amd64', family: 'debian', release: '12', arch: 'amd64' },
    urls: {
      done: `http://10.0.0.1:8080/answers/${token}/done`,
      failed: `http://10.0.0.1:8080/answers/${token}/failed`,
      progress: `http://10.0.0.1:8080/answers/${token}/progress`,
      answers: `http://10.0.0.1:8080/answers/${token}`,
      boot: 'http://10.0.0.1:8080/boot',
      mirror: 'http://mirror.lab.example/debian/',
      proxy: 'http://10.0.0.1:3142/',
      ...overrides.urls,
    },
  };
}
