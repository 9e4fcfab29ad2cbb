import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { AnswerRenderError } from '../../src/answers/errors.js';
import { checkAnswerTemplate, renderAnswerFile } from '../../src/answers/render.js';
import { loadAnswerTemplate, type AnswerTemplate } from '../../src/answers/template.js';
import { validateKickstart } from '../../src/answers/validate-kickstart.js';
import { parsePreseed } from '../../src/answers/validate-preseed.js';
import type { JsonObject } from '../../src/inventory/json.js';
import { SAMPLE_VARIABLES, SHA512CRYPT, SSH_KEY, YESCRYPT, sampleContext } from './sample.js';

function renderError(render: () => unknown): AnswerRenderError {
  try {
    render();
  } catch (error) {
    if (error instanceof AnswerRenderError) return error;
    throw error;
  }
  return expect.fail('expected an AnswerRenderError');
}

const without = (key: string): JsonObject =>
  Object.fromEntries(Object.entries(SAMPLE_VARIABLES).filter(([k]) => k !== key));

describe('debian-preseed', () => {
  let template: AnswerTemplate;
  beforeAll(async () => {
    template = await loadAnswerTemplate('debian-preseed');
  });

  it('is one preseed.cfg', () => {
    expect([template.format, template.files]).toEqual(['preseed', ['preseed.cfg']]);
  });

  it('renders a fully unattended install that parses line by line', () => {
    const { text, contentType } = renderAnswerFile(template, 'preseed.cfg', sampleContext());
    expect(contentType).toBe('text/plain; charset=utf-8');
    const { entries, problems } = parsePreseed(text);
    expect(problems).toEqual([]);
    const answer = (question: string): string | undefined =>
      entries.find((e) => e.question === question)?.value;
    expect(answer('debian-installer/locale')).toBe('en_GB.UTF-8');
    expect(answer('keyboard-configuration/xkb-keymap')).toBe('gb');
    expect(answer('netcfg/get_hostname')).toBe('node01');
    expect(answer('netcfg/get_domain')).toBe('lab.example');
    expect(answer('netcfg/hostname')).toBe('node01.lab.example');
    expect(answer('mirror/http/hostname')).toBe('mirror.lab.example');
    expect(answer('mirror/http/directory')).toBe('/debian');
    expect(answer('mirror/http/proxy')).toBe('http://10.0.0.1:3142/');
    expect(answer('time/zone')).toBe('Europe/London');
    expect(answer('passwd/root-password-crypted')).toBe(SHA512CRYPT);
    expect(answer('passwd/user-password-crypted')).toBe(YESCRYPT);
    expect(answer('partman-auto/disk')).toBe('/dev/vda');
    expect(answer('partman-auto/choose_recipe')).toBe('atomic');
    expect(answer('partman/confirm_nooverwrite')).toBe('true');
    expect(answer('grub-installer/bootdev')).toBe('/dev/vda');
    expect(answer('pkgsel/include')).toBe('curl openssh-server');
    expect(answer('preseed/late_command')).toBe(
      "mkdir -p '/target/home/ops/.ssh'; " +
        `echo '${SSH_KEY}' >> '/target/home/ops/.ssh/authorized_keys'; ` +
        "chmod 700 '/target/home/ops/.ssh'; chmod 600 '/target/home/ops/.ssh/authorized_keys'; " +
        "in-target chown -R 'ops:ops' '/home/ops/.ssh'; " +
        "wget -q -O /dev/null --header 'Content-Type: text/plain' --post-data '' " +
        `'${sampleContext().urls.done}'`,
    );
  });

  it('uses deb.debian.org without a mirror, locks root without a root hash, and needs no keys or packages', () => {
    const variables: JsonObject = { disk: '/dev/sda', username: 'ops', userPasswordHash: YESCRYPT };
    const context = sampleContext(variables);
    const { mirror: _mirror, proxy: _proxy, ...urls } = context.urls;
    const { text } = renderAnswerFile(template, 'preseed.cfg', { ...context, urls });
    const { entries } = parsePreseed(text);
    const answer = (question: string): string | undefined =>
      entries.find((e) => e.question === question)?.value;
    expect(answer('mirror/http/hostname')).toBe('deb.debian.org');
    expect(answer('mirror/http/proxy')).toBe('');
    expect(answer('passwd/root-login')).toBe('false');
    expect(entries.some((e) => e.question === 'passwd/root-password-crypted')).toBe(false);
    expect(answer('debian-installer/locale')).toBe('en_US.UTF-8');
    expect(answer('pkgsel/include')).toBe('');
    expect(answer('preseed/late_command')).toMatch(/^wget /);
  });

  it('names an undefined variable, its file and line', () => {
    const error = renderError(() =>
      renderAnswerFile(template, 'preseed.cfg', sampleContext(without('disk'))),
    );
    expect(error.variable).toBe('profile.variables.disk');
    expect(error.message).toMatch(
      /^template debian-preseed, preseed\.cfg line \d+: profile\.variables\.disk is not defined$/,
    );
  });

  it('refuses a plain-text password and never writes it', () => {
    const error = renderError(() =>
      renderAnswerFile(
        template,
        'preseed.cfg',
        sampleContext({ ...SAMPLE_VARIABLES, rootPasswordHash: 'hunter2' }),
      ),
    );
    expect(error.variable).toBe('profile.variables.rootPasswordHash');
    expect(error.message).toMatch(/is not a password hash/);
    expect(error.message).not.toContain('hunter2');
  });

  it('no variable value can add or change a preseed line', () => {
    const baseline = parsePreseed(
      renderAnswerFile(template, 'preseed.cfg', sampleContext()).text,
    ).entries.map((e) => e.question);
    const evil = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constant('x\nd-i preseed/late_command string reboot'),
      fc.constant('x\\'),
      fc.constant('{{ 7*7 }}'),
    );
    fc.assert(
      fc.property(
        fc.constantFrom('locale', 'keyboard', 'timezone', 'userFullName', 'disk', 'username'),
        evil,
        (key, value) => {
          let text: string;
          try {
            text = renderAnswerFile(
              template,
              'preseed.cfg',
              sampleContext({ ...SAMPLE_VARIABLES, [key]: value }),
            ).text;
          } catch (error) {
            expect(error).toBeInstanceOf(AnswerRenderError);
            expect((error as AnswerRenderError).variable).toBe(`profile.variables.${key}`);
            return;
          }
          expect(parsePreseed(text).entries.map((e) => e.question)).toEqual(baseline);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes a template-looking value literally (catalogue H06)', () => {
    const { text } = renderAnswerFile(
      template,
      'preseed.cfg',
      sampleContext({ ...SAMPLE_VARIABLES, userFullName: '{{ 7*7 }} {% raw %}<%= 7*7 %> ${7*7}' }),
    );
    expect(text).toContain('d-i passwd/user-fullname string {{ 7*7 }} {% raw %}<%= 7*7 %> ${7*7}\n');
    expect(text).not.toContain('49');
  });

  it('refuses a hostname that would inject a line', () => {
    const error = renderError(() =>
      renderAnswerFile(
        template,
        'preseed.cfg',
        sampleContext(SAMPLE_VARIABLES, { hostname: 'x\nd-i a/b string c' }),
      ),
    );
    expect(error.variable).toBe('machine.hostname');
  });
});

describe('ubuntu-autoinstall', () => {
  let template: AnswerTemplate;
  beforeAll(async () => {
    template = await loadAnswerTemplate('ubuntu-autoinstall');
  });

  it('renders user-data and meta-data that pass the autoinstall check', () => {
    expect(template.files).toEqual(['user-data', 'meta-data']);
    const context = sampleContext();
    expect(checkAnswerTemplate(template, context)).toEqual([]);
    const userData = parseYaml(renderAnswerFile(template, 'user-data', context).text) as {
      autoinstall: Record<string, unknown>;
    };
    expect(userData.autoinstall).toEqual({
      version: 1,
      locale: 'en_GB.UTF-8',
      keyboard: { layout: 'gb' },
      timezone: 'Europe/London',
      proxy: 'http://10.0.0.1:3142/',
      apt: { primary: [{ arches: ['default'], uri: 'http://mirror.lab.example/debian/' }] },
      identity: { hostname: 'node01', username: 'ops', realname: 'Fleet Operator', password: YESCRYPT },
      ssh: { 'install-server': true, 'allow-pw': false, 'authorized-keys': [SSH_KEY] },
      storage: { layout: { name: 'direct', match: { path: '/dev/vda' } } },
      packages: ['curl', 'openssh-server'],
      'late-commands': [['curl', '-fsS', '-o', '/dev/null', '-X', 'POST', context.urls.done]],
      'error-commands': [
        [
          'curl',
          '-fsS',
          '-o',
          '/dev/null',
          '-H',
          'Content-Type: text/plain',
          '--data-binary',
          'autoinstall failed',
          context.urls.failed,
        ],
      ],
      shutdown: 'reboot',
    });
    expect(parseYaml(renderAnswerFile(template, 'meta-data', context).text)).toEqual({
      'instance-id': `fleetboot-${context.machine.id}`,
      'local-hostname': 'node01',
    });
  });

  it('keeps any text one scalar', () => {
    const value = 'Fleet\n  operator: "x"\nautoinstall: {}\u2028';
    const { text } = renderAnswerFile(
      template,
      'user-data',
      sampleContext({ ...SAMPLE_VARIABLES, userFullName: value }),
    );
    expect(
      (parseYaml(text) as { autoinstall: { identity: { realname: string } } }).autoinstall.identity.realname,
    ).toBe(value);
  });
});

describe('kickstart', () => {
  it('renders a ks.cfg that passes the kickstart syntax check', async () => {
    const template = await loadAnswerTemplate('kickstart');
    const context = sampleContext();
    const { text } = renderAnswerFile(template, 'ks.cfg', context);
    expect(validateKickstart(text)).toEqual([]);
    expect(text).toContain(`rootpw --iscrypted '${SHA512CRYPT}'\n`);
    expect(text).toContain(`sshkey --username='ops' '${SSH_KEY}'\n`);
    expect(text).toContain("ignoredisk --only-use='/dev/vda'\n");
    expect(text).toContain("network --bootproto=dhcp --activate --hostname='node01.lab.example'\n");
    expect(text).toContain("url --url='http://mirror.lab.example/debian/' --proxy='http://10.0.0.1:3142/'\n");
    expect(text).toContain(`%post --nochroot\ncurl -fsS -o /dev/null -X POST '${context.urls.done}'\n%end\n`);
    expect(text).toContain('%packages\n@^minimal-environment\ncurl\nopenssh-server\n%end\n');
  });
});

describe('custom templates', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'fleetboot-answers-'));
    await writeFile(path.join(root, 'secret'), 'd-i passwd/root-password password hunter2\n');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function templateDir(name: string, files: Record<string, string>): Promise<string> {
    const dir = path.join(root, name);
    await mkdir(dir);
    for (const [file, text] of Object.entries(files)) await writeFile(path.join(dir, file), text);
    return dir;
  }

  it('includes a file of its own directory', async () => {
    const dir = await templateDir('ok', {
      'template.yaml': 'format: preseed\nfiles: [preseed.cfg]\n',
      'preseed.cfg':
        'd-i netcfg/get_hostname string {{ machine.hostname | host_label | preseed }}\n{% include "disk.liquid" %}',
      'disk.liquid': 'd-i partman-auto/disk string {{ profile.variables.disk | disk | preseed }}\n',
    });
    const { text } = renderAnswerFile(await loadAnswerTemplate(dir), 'preseed.cfg', sampleContext());
    expect(text).toBe('d-i netcfg/get_hostname string node01\nd-i partman-auto/disk string /dev/vda\n');
  });

  it('never quotes the install token in an error, even from a broken line that holds it', async () => {
    const dir = await templateDir('token-line', {
      'template.yaml': 'format: preseed\nfiles: [preseed.cfg]\n',
      'preseed.cfg': 'd-i preseed/late_command {{ urls.done }}\n',
    });
    const context = sampleContext();
    const token = context.urls.answers.split('/').pop() ?? '';
    const template = await loadAnswerTemplate(dir);
    const error = renderError(() => renderAnswerFile(template, 'preseed.cfg', context));
    expect(error.message).toContain('<token>');
    expect(error.message).not.toContain(token);
  });

  it('names the included file and its line for an undefined variable', async () => {
    const dir = await templateDir('partial', {
      'template.yaml': 'format: preseed\nfiles: [preseed.cfg]\n',
      'preseed.cfg': '# x\n{% include "part.liquid" %}',
      'part.liquid': '\nd-i a/b string {{ profile.variables.nothing | preseed }}\n',
    });
    const template = await loadAnswerTemplate(dir);
    const error = renderError(() => renderAnswerFile(template, 'preseed.cfg', sampleContext()));
    expect([error.file, error.line, error.variable]).toEqual(['part.liquid', 2, 'profile.variables.nothing']);
  });

  it.each([
    ['../secret', 'parent'],
    [path.join('/tmp', 'x', '..', 'secret'), 'absolute'],
    ['/etc/passwd', 'system'],
    ['constructor', 'prototype'],
  ])('refuses an include of %s (%s)', async (target, name) => {
    const dir = await templateDir(`escape-${name}`, {
      'template.yaml': 'format: preseed\nfiles: [preseed.cfg]\n',
      'preseed.cfg': `{% include "${target}" %}`,
    });
    const template = await loadAnswerTemplate(dir);
    const error = renderError(() => renderAnswerFile(template, 'preseed.cfg', sampleContext()));
    expect(error.message).toMatch(/Failed to lookup/);
  });

  it('does not follow a symbolic link out of its directory', async () => {
    const dir = await templateDir('link', {
      'template.yaml': 'format: preseed\nfiles: [preseed.cfg]\n',
      'preseed.cfg': '{% include "linked" %}',
    });
    await symlink(path.join(root, 'secret'), path.join(dir, 'linked'));
    const template = await loadAnswerTemplate(dir);
    const error = renderError(() => renderAnswerFile(template, 'preseed.cfg', sampleContext()));
    expect(error.message).toMatch(/Failed to lookup "linked"/);
  });

  it.each([
    ['debian', /neither a built-in template .* nor an absolute path/],
    ['relative/dir', /neither a built-in template/],
  ])('refuses the template name %s', async (name, message) => {
    await expect(loadAnswerTemplate(name)).rejects.toThrow(message);
  });

  it.each([
    [{ 'preseed.cfg': '' }, /template\.yaml: is missing/],
    [
      { 'template.yaml': 'format: cloud\nfiles: [a]\n', a: '' },
      /format must be one of preseed, autoinstall, kickstart/,
    ],
    [
      { 'template.yaml': 'format: preseed\nfiles: [gone.cfg]\n' },
      /files names "gone\.cfg", which is not in it/,
    ],
    [{ 'template.yaml': 'format: preseed\nfiles: [p]\n', p: 'a\n{% if %}' }, /template \/.*, p line 2: /],
    [
      { 'template.yaml': 'format: preseed\nfiles: [p]\n', p: '{{ x | nofilter }}' },
      /undefined filter: nofilter/,
    ],
  ])('refuses a broken template directory (%#)', async (files, message) => {
    const dir = await templateDir(
      `broken-${Object.keys(files).join('-')}-${Math.random().toString(36).slice(2)}`,
      files,
    );
    await expect(loadAnswerTemplate(dir)).rejects.toThrow(message);
  });

  it('refuses to serve a rendered file its validator rejects', async () => {
    const dir = await templateDir('invalid-output', {
      'template.yaml': 'format: preseed\nfiles: [preseed.cfg]\n',
      'preseed.cfg': 'd-i passwd/root-password password {{ profile.variables.username | preseed }}\n',
    });
    const template = await loadAnswerTemplate(dir);
    const error = renderError(() => renderAnswerFile(template, 'preseed.cfg', sampleContext()));
    expect(error.message).toMatch(/^template .*, preseed\.cfg \(as rendered\) line 1: .*plain-text password/);
  });
});
