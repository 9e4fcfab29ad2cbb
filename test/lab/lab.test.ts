import dgram from 'node:dgram';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import {
  DEFAULT_STATE_DIR,
  type Host,
  IFNAME_MAX,
  Lab,
  LabError,
  type LabProcess,
  LabTimeoutError,
  listLinks,
  listNamespaces,
} from '../../src/lab/index.js';
import { identify, isRunning } from '../../src/lab/proc.js';
import { describeLab, useLab } from '../support/lab.js';

const UDP = fileURLToPath(new URL('./fixtures/udp.js', import.meta.url));

/** A UDP receiver in `host`; it runs until stopped (its stdin is the test's pipe), however slow the run. */
async function receiver(host: Host, port: number): Promise<LabProcess> {
  const proc = host.run(process.execPath, [UDP, 'recv', String(port)], { stdin: 'pipe' });
  await proc.waitForLine(`ready ${port}`);
  return proc;
}

async function send(from: Host, to: string, port: number, count: number, payload: string): Promise<void> {
  const args = [UDP, 'send', from.ip!, to, String(port), String(count), '1', payload];
  const result = await from.exec(process.execPath, args, { timeoutMs: 15_000 });
  expect(result, result.stderr).toMatchObject({ code: 0, stdout: `sent ${count}\n` });
}

/** The datagrams starting with `word` a receiver has printed so far. */
function received(rx: LabProcess, word: string): string[] {
  return rx.lines().filter((line) => /^from \S+ (\S+) /.exec(line)?.[1] === word);
}

/**
 * Waits until every one of `sent` datagrams to `host` is accounted for: printed by the receiver or counted by the
 * drop rule. Only a command can read the nft counter, so this polls it, boundedly; no assertion depends on timing.
 */
async function accountFor(host: Host, rx: LabProcess, word: string, sent: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // Dropped first: both only grow, so once their sum reaches `sent` none of the datagrams is still in flight.
    const dropped = await host.droppedPackets();
    const heard = received(rx, word).length;
    if (dropped + heard >= sent) return { heard, dropped };
    if (Date.now() > deadline) {
      throw new Error(
        `after 10 s, of ${sent} "${word}" datagrams ${heard} arrived and ${dropped} were dropped`,
      );
    }
    await sleep(20);
  }
}

describeLab('network lab', () => {
  const lab = useLab('lab.test');

  it('builds hosts with loopback up, the address asked for, and no default route', async () => {
    const sw = await lab().addSwitch();
    const host = await lab().addHost('plain', {
      switch: sw,
      address: '198.18.9.1/24',
      mac: '52:54:00:ab:cd:ef',
    });
    const nic = host.interfaces[0]!;
    expect(host.namespace).toBe(`${lab().tag}-plain`);
    expect(host.ip).toBe('198.18.9.1');
    const addr = await host.exec('ip', ['-o', '-4', 'address', 'show']);
    expect(addr.stdout).toMatch(/\blo\s+inet 127\.0\.0\.1\/8/);
    expect(addr.stdout).toContain(`${nic.name}    inet 198.18.9.1/24`);
    const link = await host.exec('ip', ['link', 'show', nic.name]);
    expect(link.stdout).toContain('link/ether 52:54:00:ab:cd:ef');
    expect((await host.exec('ip', ['-4', 'route', 'show', 'default'])).stdout).toBe('');
    expect((await host.exec('ip', ['-6', 'route', 'show', 'default'])).stdout).toBe('');
    const unconnected = await lab().addHost('alone');
    expect(unconnected.interfaces).toEqual([]);
    expect(await listLinks(unconnected.namespace)).toEqual(['lo']);
  });

  it('names every interface it creates with the lab tag, within 15 characters', async () => {
    const sw = await lab().addSwitch();
    await lab().addHost('named', { switch: sw });
    await lab().addTap(sw);
    const names = (await Promise.all(lab().namespaces.map((ns) => listLinks(ns))))
      .flat()
      .filter((n) => n !== 'lo');
    expect(names.length).toBeGreaterThanOrEqual(4); // bridge, port, tap, host end
    for (const name of names) {
      expect(name.startsWith(lab().tag)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(IFNAME_MAX);
    }
  });

  it('carries a UDP broadcast across a switch, and nowhere else', async () => {
    const rootLinks = await listLinks();
    const root = dgram.createSocket('udp4');
    const heardInRoot: string[] = [];
    root.on('message', (data) => heardInRoot.push(data.toString('utf8')));
    await new Promise<void>((resolve) => root.bind(0, '0.0.0.0', resolve));
    const port = root.address().port;
    try {
      const segment = await lab().addSwitch();
      const elsewhere = await lab().addSwitch();
      const sender = await lab().addHost('bsender', { switch: segment, address: '198.18.0.1/24' });
      const neighbour = await lab().addHost('bneighbour', { switch: segment, address: '198.18.0.2/24' });
      // Same subnet, other switch: it hears the broadcast only if the switches leak into each other.
      const stranger = await lab().addHost('bstranger', { switch: elsewhere, address: '198.18.0.3/24' });
      const witness = await lab().addHost('bwitness', { switch: elsewhere, address: '198.18.0.4/24' });
      const heard = await receiver(neighbour, port);
      const notHeard = await receiver(stranger, port);

      await send(sender, '255.255.255.255', port, 5, 'hello');
      await heard.waitForLine('count hello 5'); // all five, in whatever order they came

      // Nothing-arrived checks end with a sentinel sent afterwards on a path that works: each receiver reads its
      // socket in order, so once it has printed the sentinel, anything that came before it is printed too.
      await send(sender, '255.255.255.255', port, 1, 'mark');
      await heard.waitForLine('count mark 1');
      expect(received(heard, 'hello').sort()).toEqual(
        [1, 2, 3, 4, 5].map((n) => `from 198.18.0.1 hello ${n}`),
      );
      await send(witness, '255.255.255.255', port, 1, 'mark');
      await notHeard.waitForLine('count mark 1');
      expect(notHeard.lines()).toEqual([`ready ${port}`, 'from 198.18.0.4 mark 1', 'count mark 1']);
      const sentinel = once(root, 'message', { signal: AbortSignal.timeout(10_000) });
      root.send('mark 1', port, '127.0.0.1');
      await sentinel;
      expect(heardInRoot).toEqual(['mark 1']);
      expect(await listLinks()).toEqual(rootLinks);
      await heard.stop();
      await notHeard.stop();
    } finally {
      root.close();
    }
  });

  it('drops all, none, or about the asked share of incoming packets', async () => {
    const sw = await lab().addSwitch();
    const lossy = await lab().addHost('lossy', { switch: sw, address: '198.18.1.1/24' });
    const talker = await lab().addHost('talker', { switch: sw, address: '198.18.1.2/24' });
    // Without IPv6 on the lossy host the drop counter counts exactly the talker's datagrams (no neighbour
    // discovery or MLD), so every datagram is either heard or counted, and the test knows when all have come.
    const noIpv6 = await lossy.exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    expect(noIpv6, noIpv6.stderr).toMatchObject({ code: 0 });
    const port = 40_000;
    const rx = await receiver(lossy, port);

    await lossy.dropIncoming(100);
    await send(talker, lossy.ip!, port, 50, 'all');
    expect(await accountFor(lossy, rx, 'all', 50)).toEqual({ heard: 0, dropped: 50 });

    await lossy.dropIncoming(0);
    await send(talker, lossy.ip!, port, 50, 'none');
    await rx.waitForLine('count none 50');
    expect(await lossy.droppedPackets()).toBe(0);

    // Binomial(200, 0.5): outside 40..160 with probability below 1e-15.
    await lossy.dropIncoming(50);
    await send(talker, lossy.ip!, port, 200, 'half');
    const half = await accountFor(lossy, rx, 'half', 200);
    expect(half.heard + half.dropped).toBe(200);
    expect(half.heard).toBeGreaterThan(40);
    expect(half.heard).toBeLessThan(160);
    await lossy.dropIncoming(0);
    // Nothing of the earlier phases arrived late: the receiver printed exactly what was accounted for.
    expect(received(rx, 'all')).toEqual([]);
    expect(received(rx, 'none')).toHaveLength(50);
    await rx.stop();
  });

  it('refuses bad input before creating anything', async () => {
    const sw = await lab().addSwitch();
    const before = await listNamespaces();
    await expect(lab().addHost('leaky', { switch: sw, address: '10.0.0.1/24' })).rejects.toThrow(
      /outside the test ranges/,
    );
    await expect(lab().addHost('malformed', { switch: sw, address: '198.18.3.256/24' })).rejects.toThrow(
      LabError,
    );
    await expect(lab().addHost('badmac', { switch: sw, mac: 'nope' })).rejects.toThrow(
      new LabError(
        'lab MAC "nope": invalid MAC address "nope": expected six hex octets such as 52:54:00:12:34:56',
      ),
    );
    await expect(lab().addHost('Bad Name')).rejects.toThrow(/invalid lab host name/);
    await expect(lab().addHost('nowire', { address: '198.18.3.1/24' })).rejects.toThrow(/needs a switch/);
    expect(await listNamespaces()).toEqual(before);
    await lab().addHost('twice');
    await expect(lab().addHost('twice')).rejects.toThrow(/already has a host named twice/);
    await expect(
      lab()
        .addHost('x')
        .then((h) => h.dropIncoming(101)),
    ).rejects.toThrow(RangeError);
  });

  it('attaches taps to the bridge inside the switch namespace', async () => {
    const sw = await lab().addSwitch();
    const tap = await lab().addTap(sw);
    const shown = await sw.exec('ip', ['-o', 'link', 'show', tap.name]);
    expect(shown.stdout).toContain(`master ${sw.bridge}`);
    expect(tap.qemuNetdev('n0')).toBe(`tap,id=n0,ifname=${tap.name},script=no,downscript=no`);
    // The switch's own links send nothing of their own onto the segment: no IPv6 link-local address.
    expect((await sw.exec('ip', ['-6', 'address', 'show'])).stdout).not.toContain('fe80');
  });

  it('connects a host to a second switch (a relay between two segments)', async () => {
    const a = await lab().addSwitch();
    const b = await lab().addSwitch();
    const relay = await lab().addHost('relay', { switch: a, address: '192.0.2.1/24' });
    const nic = await lab().connect(relay, b, { address: '198.51.100.1/24' });
    expect(relay.interfaces.map((i) => i.switch)).toEqual([a, b]);
    const routes = await relay.exec('ip', ['-4', 'route', 'show']);
    expect(routes.stdout).toContain(`198.51.100.0/24 dev ${nic.name}`);
  });

  it('returns the exit code of a failing command and bounds a hanging one', async () => {
    const host = await lab().addHost('runner');
    const missing = await host.exec('/nonexistent/command');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/No such file or directory/);
    await expect(host.exec('sh', ['-c', 'echo $0; exit 7'], { input: '' })).resolves.toMatchObject({
      code: 7,
      stdout: 'sh\n',
    });
    await expect(host.exec('cat', [], { input: 'through stdin' })).resolves.toMatchObject({
      code: 0,
      stdout: 'through stdin',
    });
    const started = Date.now();
    await expect(host.exec('sleep', ['30'], { timeoutMs: 300 })).rejects.toThrow(LabTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(lab().processes.filter((p) => p.command[0] === 'sleep')).toEqual([]);
  });
});

describeLab('destroying a lab', () => {
  it('stops every process it started, and anything left in its namespaces, then removes them', async () => {
    const rootLinks = await listLinks();
    const lab = await Lab.create({ name: 'destroy test', stopGraceMs: 500 });
    const sw = await lab.addSwitch();
    const host = await lab.addHost('h', { switch: sw, address: '198.18.5.1/24' });
    await lab.addTap(sw);
    const sleeper = host.run('sleep', ['300']);
    const stubborn = host.run(process.execPath, [
      '-e',
      "process.on('SIGTERM', () => {}); console.log('armed'); setInterval(() => {}, 1000)",
    ]);
    await stubborn.waitForLine('armed');
    // A daemon: it leaves the process group the lab gave its parent, and its parent exits.
    const spawner = await host.exec(process.execPath, [
      '-e',
      "const c = require('child_process').spawn('sleep', ['301'], { detached: true, stdio: 'ignore' }); c.unref(); console.log(c.pid)",
    ]);
    const daemon = identify(Number(spawner.stdout.trim()))!;
    const started = [identify(sleeper.pid)!, identify(stubborn.pid)!, daemon];
    expect(started.every(isRunning)).toBe(true);
    expect(existsSync(`${DEFAULT_STATE_DIR}/${lab.tag}.json`)).toBe(true);

    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 5);
    const destroying = lab.destroy();
    // It returned at once: the stubborn process ignores SIGTERM, so only the end of the grace period stops it.
    expect(isRunning(identify(stubborn.pid)!)).toBe(true);
    expect(() => host.run('true')).toThrow(/has been destroyed/); // nothing new while it is being destroyed
    const report = await destroying.finally(() => {
      clearInterval(ticker);
    });
    expect(ticks).toBeGreaterThan(0); // the event loop ran during the grace period

    expect(report.errors).toEqual([]);
    expect(report.killed).toEqual([stubborn.pid]);
    expect(report.terminated.sort()).toEqual([sleeper.pid, daemon.pid].sort());
    expect(report.deletedNamespaces.sort()).toEqual([...lab.namespaces].sort());
    for (const p of started) expect(isRunning(p), `pid ${p.pid}`).toBe(false);
    await expect(sleeper.waitForExit()).resolves.toEqual({ code: null, signal: 'SIGTERM' });
    await expect(stubborn.waitForExit()).resolves.toEqual({ code: null, signal: 'SIGKILL' });
    expect((await listNamespaces()).filter((ns) => ns.startsWith(lab.tag))).toEqual([]);
    expect(await listLinks()).toEqual(rootLinks);
    expect(existsSync(`${DEFAULT_STATE_DIR}/${lab.tag}.json`)).toBe(false);

    await expect(lab.destroy()).resolves.toBe(report);
    await expect(lab.addSwitch()).rejects.toThrow(LabError);
    expect(() => host.run('true')).toThrow(/has been destroyed/);
  });
});
