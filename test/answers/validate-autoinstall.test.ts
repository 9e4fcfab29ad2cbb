import { describe, expect, it } from 'vitest';
import { validateMetaData, validateUserData } from '../../src/answers/validate-autoinstall.js';
import { YESCRYPT } from './sample.js';

const userData = (body: string): string => `#cloud-config\nautoinstall:\n  version: 1\n${body}`;
const identity = `  identity:\n    hostname: node01\n    username: ops\n    password: "${YESCRYPT}"\n`;

describe('validateUserData', () => {
  it('accepts a complete autoinstall', () => {
    const text = userData(
      identity +
        '  locale: en_US.UTF-8\n  keyboard: {layout: us}\n  ssh: {install-server: true, authorized-keys: [k]}\n' +
        '  storage: {layout: {name: direct, match: {path: /dev/vda}}}\n  packages: [curl]\n' +
        '  late-commands: ["true", [curl, -X, POST, "http://x/done"]]\n  shutdown: reboot\n',
    );
    expect(validateUserData(text)).toEqual([]);
  });

  it.each([
    ['autoinstall:\n  version: 1\n', 'must start with a #cloud-config line'],
    ['#cloud-config\nusers: []\n', 'needs an autoinstall mapping at the top level'],
    ['#cloud-config\nautoinstall:\n  version: 2\n' + identity, 'autoinstall.version must be 1'],
    [userData(''), 'autoinstall needs identity (or user-data that creates the users)'],
    [userData(`${identity}  lokale: en_US\n`), 'autoinstall has an unknown key lokale'],
    [userData(`${identity}  storage: {layout: {}}\n`), 'autoinstall.storage needs name'],
    [userData(`${identity}  late-commands: [[curl, 1]]\n`), /late-commands must be a list of commands/],
    [userData(`${identity}  shutdown: halt\n`), 'autoinstall.shutdown must be reboot or poweroff'],
    [
      userData(`${identity}  ssh: {authorized-keys: k}\n`),
      'autoinstall.ssh authorized-keys must be a list of strings',
    ],
    [
      userData(identity.replace(YESCRYPT, 'hunter2')),
      /autoinstall.identity password must be a password hash/,
    ],
  ])('refuses %j', (text, message) => {
    const problems = validateUserData(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toEqual(
      typeof message === 'string' ? message : expect.stringMatching(message),
    );
  });

  it('gives the line of a problem key and of a YAML error', () => {
    expect(validateUserData(userData(`${identity}  shutdown: halt\n`))[0]?.line).toBe(8);
    const duplicate = validateUserData(userData(`${identity}  locale: a\n  locale: b\n`));
    expect(duplicate[0]?.line).toBe(9);
    expect(duplicate[0]?.message).toMatch(/unique/i);
  });
});

describe('validateMetaData', () => {
  it('needs an instance-id', () => {
    expect(validateMetaData('instance-id: fleetboot-1\nlocal-hostname: node01\n')).toEqual([]);
    expect(validateMetaData('local-hostname: node01\n')).toEqual([
      { line: undefined, message: 'needs an instance-id string' },
    ]);
  });
});
