import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePreseed } from '../../src/answers/validate-preseed.js';
import { YESCRYPT } from '../answers/sample.js';
import { DEBIAN_NETBOOT_TREE } from '../catalog/support.js';
import { runInProcess } from '../support/cli.js';

// `fleetboot machines render` against a real store and catalog in a scratch directory (issue 5 item 7).

const CONFIG = `dataDir: data
http: { publicUrl: "http://10.0.0.1:8080" }
profiles:
  - name: web
    os: debian-12-amd64
    template: debian-preseed
    variables:
      disk: /dev/vda
      username: ops
      userPasswordHash: "${YESCRYPT}"
      hostnamePattern: "web-{labels.rack}-{mac}"
  - name: rocky
    os: rocky-9
    template: kickstart
rules:
  - match: { labels: { rack: r1 } }
    profile: web
`;

let dir: string;
const run = (...argv: string[]) => runInProcess(argv, { cwd: dir, env: { USER: 'tester' } });

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'fleetboot-render-'));
  writeFileSync(path.join(dir, 'fleetboot.yaml'), CONFIG);
  writeFileSync(
    path.join(dir, 'm.csv'),
    'mac,hostname,labels,profile\n52:54:00:00:00:01,,rack=r1,\n52:54:00:00:00:02,db1,,rocky\n52:54:00:00:00:03,,,\n',
  );
  expect((await run('os', 'import', DEBIAN_NETBOOT_TREE)).code).toBe(0);
  expect((await run('machines', 'import', 'm.csv')).code).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('fleetboot machines render', () => {
  it('prints the preseed the machine would get, with its hostname and the token left out', async () => {
    const { code, stdout, stderr } = await run('machines', 'render', '52:54:00:00:00:01');
    expect(code).toBe(0);
    const { entries, problems } = parsePreseed(stdout);
    expect(problems).toEqual([]);
    const answer = (q: string) => entries.find((e) => e.question === q)?.value;
    expect(answer('netcfg/hostname')).toBe('web-r1-525400000001');
    expect(answer('preseed/late_command')).toContain("'http://10.0.0.1:8080/answers/INSTALL-TOKEN/done'");
    expect(stderr).toBe(
      'fleetboot: preseed.cfg of template debian-preseed (profile web)\n' +
        'fleetboot: the machine is not marked for install: it gets no answer file until `fleetboot machines install`\n',
    );
  });

  it('says when the template has no such file', async () => {
    const { code, stderr } = await run('machines', 'render', '52:54:00:00:00:01', '--file', 'user-data');
    expect(code).toBe(2);
    expect(stderr).toBe('fleetboot: template debian-preseed has no file user-data (it has preseed.cfg)\n');
  });

  it("says when the profile's image is not imported", async () => {
    const { code, stderr } = await run('machines', 'render', 'db1');
    expect(code).toBe(1);
    expect(stderr).toMatch(/profile rocky installs OS image rocky-9, which is not imported/);
  });

  it('says when the machine has no profile, or is unknown', async () => {
    const none = await run('machines', 'render', '52:54:00:00:00:03');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/has no profile: none is assigned and no rule matches it/);
    const unknown = await run('machines', 'render', 'nosuchhost');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nosuchhost: no such machine/);
  });

  it('fails with exit 3 and the variable when the profile cannot be rendered', async () => {
    writeFileSync(path.join(dir, 'fleetboot.yaml'), CONFIG.replace('      disk: /dev/vda\n', ''));
    try {
      const { code, stderr } = await run('machines', 'render', '52:54:00:00:00:01');
      expect(code).toBe(3);
      expect(stderr).toMatch(
        /template debian-preseed, preseed\.cfg line \d+: profile\.variables\.disk is not defined/,
      );
    } finally {
      writeFileSync(path.join(dir, 'fleetboot.yaml'), CONFIG);
    }
  });
});
