import { describe, expect, it } from 'vitest';
import { splitKickstartWords, validateKickstart } from '../../src/answers/validate-kickstart.js';
import { SHA512CRYPT } from './sample.js';

describe('splitKickstartWords', () => {
  it.each([
    [`network --hostname='a b' --activate`, ['network', '--hostname=a b', '--activate']],
    [
      `sshkey --username=ops "ssh-ed25519 AAAA \\"x\\""`,
      ['sshkey', '--username=ops', 'ssh-ed25519 AAAA "x"'],
    ],
    [`rootpw --iscrypted 'it'\\''s'`, ['rootpw', '--iscrypted', "it's"]],
    ['lang en_US.UTF-8 # a comment', ['lang', 'en_US.UTF-8']],
    ['url --url=http://m/a#b', ['url', '--url=http://m/a#b']],
  ])('%s', (line, words) => {
    expect(splitKickstartWords(line)).toEqual(words);
  });

  it('refuses an unterminated quote', () => {
    expect(() => splitKickstartWords(`lang 'en`)).toThrow(/unterminated single quote/);
  });
});

describe('validateKickstart', () => {
  const good = [
    'text',
    'url --url=http://mirror.example/rocky/9/BaseOS/x86_64/os/',
    'lang en_US.UTF-8',
    'keyboard --vckeymap=us',
    'timezone Etc/UTC --utc',
    'network --bootproto=dhcp --hostname=node01',
    `rootpw --iscrypted ${SHA512CRYPT}`,
    `user --name=ops --iscrypted --password=${SHA512CRYPT}`,
    'ignoredisk --only-use=sda',
    'clearpart --all --initlabel',
    'autopart',
    'reboot',
    '%packages',
    '@^minimal-environment',
    'curl',
    '-plymouth',
    '%end',
    '%post --nochroot',
    'curl -X POST http://x/done # % signs and %anything are shell here',
    '%end',
    '',
  ].join('\n');

  it('accepts a complete kickstart', () => {
    expect(validateKickstart(good)).toEqual([]);
  });

  it.each([
    ['lang', 'lang needs a language such as en_US.UTF-8'],
    ['langg en_US', 'unknown command "langg"'],
    ['url', 'url needs --url or --mirrorlist or --metalink'],
    ['rootpw hunter2', 'rootpw has a plain-text password: give a hash with --iscrypted'],
    [
      'rootpw --plaintext --iscrypted hunter2',
      'rootpw has a plain-text password: give a hash with --iscrypted',
    ],
    ['rootpw --iscrypted hunter2', expect.stringMatching(/^rootpw needs a password hash/) as string],
    ['user --name=ops --password=hunter2', 'user has a plain-text password: give a hash with --iscrypted'],
    ['sshkey --username=ops', 'sshkey needs a public key'],
    ['ignoredisk', 'ignoredisk needs --only-use or --drives'],
    ['repo --baseurl=http://x/', 'repo needs --name'],
    ['%end', '%end without a section'],
    ['%prepackages', 'unknown section %prepackages'],
  ])('%s: %s', (line, message) => {
    expect(validateKickstart(`${line}\n`)).toEqual([{ line: 1, message }]);
  });

  it('accepts rootpw --lock', () => {
    expect(validateKickstart('rootpw --lock\n')).toEqual([]);
  });

  it('needs %end after every section', () => {
    expect(validateKickstart('%packages\ncurl\n%post\ntrue\n%end\n')).toEqual([
      { line: 3, message: '%post inside %packages (line 1), which has no %end' },
    ]);
    expect(validateKickstart('reboot\n%post\ntrue\n')).toEqual([{ line: 2, message: '%post has no %end' }]);
  });

  it('checks %packages lines', () => {
    expect(validateKickstart('%packages\ncurl vim\n%end\n')).toEqual([
      { line: 2, message: 'is not a package, @group or -package: "curl vim"' },
    ]);
  });
});
