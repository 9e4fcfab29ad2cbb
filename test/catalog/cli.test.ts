import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CatalogImage } from '../../src/catalog/catalog.js';
import { runInProcess } from '../support/cli.js';
import { DEBIAN_NETBOOT_TREE, writeTree } from './support.js';

// `fleetboot os …` against the data directory of the embedded defaults (<cwd>/data), as an operator runs it.
describe('fleetboot os', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'fleetboot-os-cli-'));
  const env = { FLEETBOOT_LOG__LEVEL: 'warn' };
  const run = (argv: readonly string[]) => runInProcess(argv, { cwd, env });
  afterAll(() => {
    rmSync(cwd, { recursive: true, force: true });
  });

  it('lists nothing before an import, and says how to import', async () => {
    expect(await run(['os', 'list'])).toEqual({
      code: 0,
      stdout: 'no OS images: import one with fleetboot os import <source>\n',
      stderr: '',
    });
    expect((await run(['os', 'list', '--output', 'json'])).stdout).toBe('[]\n');
  });

  it("imports Debian's netboot tree into <dataDir>/boot and describes what it recorded", async () => {
    const { code, stdout, stderr } = await run(['os', 'import', DEBIAN_NETBOOT_TREE]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`imported debian-12-amd64: debian 12 amd64 from ${DEBIAN_NETBOOT_TREE}\n`);
    expect(stdout).toMatch(/ {2}kernel +images\/debian-12-amd64\/linux\n/);
    expect(stdout).toMatch(/ {2}loader shim-x64 +images\/debian-12-amd64\/bootnetx64\.efi\n/);
    expect(stdout).toMatch(/ {2}grub prefix +debian-installer\/amd64\/grub /);
    expect(existsSync(path.join(cwd, 'data/boot/images/debian-12-amd64/image.json'))).toBe(true);
    expect(existsSync(path.join(cwd, 'data/boot/undionly.kpxe'))).toBe(true);
  });

  it('lists it as a table and as JSON', async () => {
    const table = await run(['os', 'list']);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^NAME +FAMILY +RELEASE +ARCH +FILES +SIZE +IMPORTED +SOURCE$/,
    );
    expect(table.stdout.split('\n')[1]).toMatch(/^debian-12-amd64 +debian +12 +amd64 +5 +\d+\.\d MB +\d{4}-/);
    const json = JSON.parse((await run(['os', 'list', '-o', 'json'])).stdout) as CatalogImage[];
    expect(json.map((image) => [image.name, image.kernel])).toEqual([
      ['debian-12-amd64', 'images/debian-12-amd64/linux'],
    ]);
  });

  it('refuses a second import of the same name, with the way out', async () => {
    const { code, stderr } = await run(['os', 'import', DEBIAN_NETBOOT_TREE]);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^fleetboot: image debian-12-amd64 exists \(.*\): remove it first or import with --replace\n$/,
    );
  });

  it('resolves a relative source against the working directory and takes --name, --release', async () => {
    writeTree(path.join(cwd, 'sid'), {
      'debian-installer/amd64/linux': 'k',
      'debian-installer/amd64/initrd.gz': 'i',
    });
    const { code, stdout } = await run(['os', 'import', 'sid', '--name', 'sid', '--release', 'sid']);
    expect(code).toBe(0);
    expect(stdout).toContain(`imported sid: debian sid amd64 from ${path.join(cwd, 'sid')}\n`);
  });

  it('names the path and what it expected when there is no kernel', async () => {
    const { code, stderr } = await run(['os', 'import', cwd, '--name', 'nothing']);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `fleetboot: no kernel found under ${cwd}: expected debian-installer/<arch>/linux (a Debian netboot tree), ` +
        'install.amd/vmlinuz, casper/vmlinuz or images/pxeboot/vmlinuz\n',
    );
  });

  it('exits 2 on a family it does not know', async () => {
    const { code, stderr } = await run(['os', 'import', cwd, '--family', 'suse']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Allowed choices are debian, ubuntu, rhel/);
  });

  it('verifies, shows and removes', async () => {
    expect(await run(['os', 'verify', 'debian-12-amd64'])).toMatchObject({
      code: 0,
      stdout: 'debian-12-amd64: OK (5 files)\n',
    });
    expect((await run(['os', 'show', 'sid'])).stdout).toMatch(/^sid: debian sid amd64 from /);
    expect(await run(['os', 'remove', 'sid'])).toMatchObject({ code: 0, stdout: 'removed sid\n' });
    expect(await run(['os', 'remove', 'sid'])).toMatchObject({
      code: 1,
      stderr: 'fleetboot: no OS image named "sid" (fleetboot os list shows them)\n',
    });
    expect((await run(['os', 'verify', 'sid'])).code).toBe(1);
  });
});
