import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeLab, useLab } from '../support/lab.js';
import { CLI_MAIN, TSX_LOADER } from '../support/cli.js';

// `fleetboot init` reads the real interfaces of the host it runs on; a namespace gives it a known set: one
// provisioning interface, and (for the refusal case) one that carries a default route.
describeLab('fleetboot init on a real interface', () => {
  const lab = useLab('init');
  const fleetboot = (args: string[]) => ['--import', TSX_LOADER, CLI_MAIN, ...args];

  it('picks the only candidate, detects its subnet, and writes a config that checks clean', async () => {
    const sw = await lab().addSwitch();
    const host = await lab().addHost('boot', { switch: sw, address: '198.18.7.1/22' });
    const init = await host.exec(process.execPath, fleetboot(['init']), { timeoutMs: 20_000 });
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const iface = host.interfaces[0]!.name;
    expect(init.stdout).toContain(iface);
    expect(init.stdout).toContain('198.18.4.0/22');

    // Network namespaces share the filesystem: the file written here is the one the namespace reads.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'fleetboot-init-')), 'fleetboot.yaml');
    writeFileSync(file, init.stdout);
    const check = await host.exec(process.execPath, fleetboot(['config', 'check', '-c', file]), {
      timeoutMs: 20_000,
    });
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);
    expect(check.stdout).toMatch(new RegExp(`dhcp +proxy on ${iface}`));
  });

  it('refuses the default-route interface unless it is named with --allow-default-route', async () => {
    const sw = await lab().addSwitch();
    const host = await lab().addHost('site', { switch: sw, address: '198.18.8.2/24' });
    const iface = host.interfaces[0]!.name;
    // A default route via a neighbour on the lab switch: it never leaves the namespace (nothing else is there).
    const route = await host.exec('ip', ['route', 'add', 'default', 'via', '198.18.8.1', 'dev', iface]);
    expect(route.code).toBe(0);

    const silent = await host.exec(process.execPath, fleetboot(['init']), { timeoutMs: 20_000 });
    expect(silent.code).toBe(2);
    expect(silent.stderr).toMatch(/default route/);

    const named = await host.exec(process.execPath, fleetboot(['init', '--interface', iface]), {
      timeoutMs: 20_000,
    });
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/--allow-default-route/);

    const allowed = await host.exec(
      process.execPath,
      fleetboot(['init', '-i', iface, '--allow-default-route']),
      {
        timeoutMs: 20_000,
      },
    );
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('198.18.8.0/24');
  });
});
