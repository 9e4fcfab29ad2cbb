import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess } from '../support/cli.js';
import { YESCRYPT } from '../answers/sample.js';

const scratch = () => mkdtempSync(path.join(tmpdir(), 'fleetboot-profiles-'));

function configIn(dir: string, profiles: string, extra = ''): string {
  writeFileSync(path.join(dir, 'fleetboot.yaml'), `dataDir: ./data\nprofiles:\n${profiles}${extra}`);
  return dir;
}

const web = `  - name: web
    os: debian-12-amd64
    template: debian-preseed
    variables:
      disk: /dev/vda
      username: ops
      userPasswordHash: "${YESCRYPT}"
      hostnamePattern: "web-{labels.rack}-{mac}"
`;

describe('fleetboot profiles check', () => {
  it('renders each profile strictly for a sample machine made from its rule', async () => {
    const dir = configIn(scratch(), web, 'rules:\n  - match: { labels: { rack: r1 } }\n    profile: web\n');
    const { code, stdout } = await runInProcess(['profiles', 'check', '--no-images'], { cwd: dir });
    expect(stdout).toContain('profile web (template debian-preseed, os debian-12-amd64): OK\n');
    expect(code).toBe(0);
  });

  it('fails with exit 3, naming the template, line and variable', async () => {
    const bad = `  - name: db
    os: rocky-9
    template: kickstart
    variables: { username: ops, userPasswordHash: hunter2, disk: /dev/sda }
`;
    const dir = configIn(
      scratch(),
      web + bad,
      'rules:\n  - match: { labels: { rack: r1 } }\n    profile: web\n',
    );
    const { code, stdout, stderr } = await runInProcess(['profiles', 'check', '--no-images'], { cwd: dir });
    expect(code).toBe(3);
    expect(stdout).toContain('profile web (template debian-preseed, os debian-12-amd64): OK\n');
    expect(stdout).toMatch(
      /profile db \(template kickstart, os rocky-9\): FAILED\n {2}template kickstart, ks\.cfg line \d+: profile\.variables\.userPasswordHash is not a password hash/,
    );
    expect(stdout).not.toContain('hunter2');
    expect(stderr).toContain('1 of 2 profile(s) failed the check');
  });

  it('reports a hostname pattern the sample machine cannot fill', async () => {
    const { code, stdout } = await runInProcess(['profiles', 'check', '--no-images'], {
      cwd: configIn(scratch(), web),
    });
    expect(code).toBe(3);
    expect(stdout).toContain(
      'profile.variables.hostnamePattern names label "rack", which the machine has not',
    );
  });

  it('checks that the OS image is imported', async () => {
    const dir = configIn(scratch(), web, 'rules:\n  - match: { labels: { rack: r1 } }\n    profile: web\n');
    mkdirSync(path.join(dir, 'data', 'boot', 'images'), { recursive: true });
    const { code, stdout } = await runInProcess(['profiles', 'check'], { cwd: dir });
    expect(code).toBe(3);
    expect(stdout).toContain(
      '  OS image debian-12-amd64 is not imported (fleetboot os list; fleetboot os import <source>)\n',
    );
  });

  it('refuses a template that is not there', async () => {
    const dir = configIn(
      scratch(),
      '  - name: x\n    os: debian-12-amd64\n    template: ./nowhere\n    variables: {}\n',
    );
    const { code, stdout } = await runInProcess(['profiles', 'check', '--no-images'], { cwd: dir });
    expect(code).toBe(3);
    expect(stdout).toMatch(/template \/.*nowhere, template\.yaml: cannot read the template directory/);
  });
});
