import { describe, expect, it } from 'vitest';
import { parsePreseed } from '../../src/answers/validate-preseed.js';
import { YESCRYPT } from './sample.js';

describe('parsePreseed', () => {
  it('parses answers, comments, blank lines and continuations', () => {
    const { entries, problems } = parsePreseed(
      [
        '# a comment',
        '',
        'd-i netcfg/get_hostname string node01',
        'd-i partman-auto/disk string',
        'd-i preseed/late_command string echo one; \\',
        '  echo two',
        'tasksel tasksel/first multiselect standard, ssh-server',
        `d-i passwd/user-password-crypted password ${YESCRYPT}`,
        'd-i grub-installer/only_debian boolean true',
        '',
      ].join('\n'),
    );
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { line: 3, owner: 'd-i', question: 'netcfg/get_hostname', type: 'string', value: 'node01' },
      { line: 4, owner: 'd-i', question: 'partman-auto/disk', type: 'string', value: '' },
      {
        line: 5,
        owner: 'd-i',
        question: 'preseed/late_command',
        type: 'string',
        value: 'echo one; echo two',
      },
      {
        line: 7,
        owner: 'tasksel',
        question: 'tasksel/first',
        type: 'multiselect',
        value: 'standard, ssh-server',
      },
      { line: 8, owner: 'd-i', question: 'passwd/user-password-crypted', type: 'password', value: YESCRYPT },
      { line: 9, owner: 'd-i', question: 'grub-installer/only_debian', type: 'boolean', value: 'true' },
    ]);
  });

  it.each([
    ['d-i netcfg/get_hostname', /is not "owner question type value"/],
    ['d-i hostname string node01', /is not "owner question type value"/],
    ['d-i netcfg/get_hostname strng node01', /unknown type "strng"/],
    ['d-i grub-installer/only_debian boolean yes', /a boolean is true or false/],
    ['d-i passwd/root-password password hunter2', /plain-text password; write passwd\/root-password-crypted/],
    [
      'd-i passwd/user-password-again password hunter2',
      /plain-text password; write passwd\/user-password-crypted/,
    ],
    ['d-i passwd/root-password-crypted password hunter2', /not a password hash/],
    ['d-i netcfg/get_hostname string node01\r', /control character/],
    ['d-i preseed/late_command string reboot \\', /ends the file with a line continuation/],
    ['  # an indented comment is not one for d-i', /is not "owner question type value"/],
  ])('refuses %j', (line, message) => {
    const { problems } = parsePreseed(`${line}\n`);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(1);
    expect(problems[0]?.message).toMatch(message);
  });

  it('refuses a question answered twice, the shape of an injected line', () => {
    const { problems } = parsePreseed(
      'd-i preseed/late_command string true\nd-i x/y string z\nd-i preseed/late_command string reboot\n',
    );
    expect(problems).toEqual([
      { line: 3, message: 'd-i preseed/late_command is answered again (first on line 1)' },
    ]);
  });
});
