import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { statusLine } from '../../src/cli/commands/status.js';
import type { MachineId } from '../../src/inventory/machine.js';
import { parseMac } from '../../src/values/mac.js';
import { startInProcess } from '../support/cli.js';
import { CLI_SERVER_CONFIG, type CliServer, startCliServer } from '../support/cli-server.js';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.js';

// `fleetboot status` against a running fleetboot: one line of counts per state (and the cache's saving when the
// cache is on), printed once when piped, once per change with --follow, and redrawn in place on a terminal.

let s: CliServer;
const ids: MachineId[] = [];

beforeAll(async () => {
  s = await startCliServer();
  for (let i = 1; i <= 4; i++) {
    const { machine } = await s.server.store.inventory.recordContact({
      mac: parseMac(`52:54:00:00:00:0${i}`),
    });
    ids.push(machine.id);
    if (i <= 2) await s.server.store.inventory.setLabels(machine.id, { rack: 'r1' });
  }
  await s.server.store.inventory.update(
    ids[3]!,
    { profile: 'debian12', state: 'ready' },
    { state: 'discovered' },
  );
});

afterAll(async () => {
  await s.stop();
});

const status = (...argv: string[]) => s.run(['status', ...argv], 'viewer');

/**
 * `fleetboot status ARGV` in-process through a proxy, with no periodic refresh to speak of: only the event
 * stream can bring a change. Resolves once the stream's request has gone out, so a change made after it is seen.
 */
async function watching(argv: string[], terminal?: { columns: number }) {
  const proxy: TcpProxy = await tcpProxy(s.url);
  const stop = new AbortController();
  const run = startInProcess(['status', '--interval', '3600', '--server', proxy.url, ...argv], {
    cwd: s.dir,
    env: s.env('viewer'),
    signal: stop.signal,
    ...(terminal === undefined ? {} : { terminal }),
  });
  await vi.waitFor(
    () => {
      expect(proxy.sent()).toContain('GET /api/v1/events/stream');
    },
    { timeout: 10_000 },
  );
  return {
    run,
    stop: async () => {
      stop.abort();
      const code = await run.done;
      await proxy.close();
      return code;
    },
  };
}

/** Moves a machine through the lifecycle the way an installer's progress would, through the API. */
async function mark(id: MachineId): Promise<void> {
  const res = await fetch(`${s.url}/api/v1/machines/${id}/install`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.tokens.operator}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
}

describe('fleetboot status', () => {
  it('prints one line when piped, as text or JSON, for the fleet or a label', async () => {
    expect(await status()).toEqual({ code: 0, stdout: '3 discovered · 1 ready\n', stderr: '' });
    expect(JSON.parse((await status('--output', 'json')).stdout)).toEqual({
      machines: { discovered: 3, ready: 1, queued: 0, installing: 0, installed: 0, failed: 0 },
      total: 4,
      cache: null,
    });
    expect((await status('--label', 'rack=r1')).stdout).toBe('rack=r1: 2 discovered\n');
    expect((await status('--label', 'rack=r9')).stdout).toBe('rack=r9: no machines\n');
  });

  it('with --follow prints a line each time the counts change, until stopped', async () => {
    const { run, stop } = await watching(['--follow']);
    expect(run.stdout()).toBe('3 discovered · 1 ready\n');
    await mark(ids[3]!);
    await vi.waitFor(
      () => {
        expect(run.stdout()).toBe('3 discovered · 1 ready\n3 discovered · 1 queued\n');
      },
      {
        timeout: 10_000,
      },
    );
    expect(await stop()).toBe(0);
    expect(run.stderr()).toBe('');
  });

  it('on a terminal redraws its line in place as machines change, and ends the line when stopped', async () => {
    const { run, stop } = await watching(['--label', 'rack=r1'], { columns: 120 });
    expect(run.stdout()).toBe('\r\x1b[2Krack=r1: 2 discovered');
    // A change written to the store directly, then announced as the API would announce it: by an event.
    await s.server.store.inventory.update(
      ids[0]!,
      { profile: 'web', state: 'ready' },
      { state: 'discovered' },
    );
    await s.server.store.events.append({ machineId: ids[0]!, source: 'api', kind: 'assigned' });
    await vi.waitFor(
      () => {
        expect(run.stdout()).toBe('\r\x1b[2Krack=r1: 2 discovered\r\x1b[2Krack=r1: 1 discovered · 1 ready');
      },
      { timeout: 10_000 },
    );
    expect(await stop()).toBe(0);
    expect(run.stdout().endsWith('1 ready\n')).toBe(true);
  });

  it("adds the package cache's saving when the cache is on", async () => {
    const cached = await startCliServer(
      `${CLI_SERVER_CONFIG}cache:\n  enabled: true\n  listen: '127.0.0.1:0'\n` +
        '  repositories: [{name: debian, upstream: "http://127.0.0.1:9/debian"}]\n',
    );
    try {
      const line = await cached.run(['status'], 'viewer');
      expect(line).toEqual({
        code: 0,
        stdout: 'no machines · cache: 0 upstream copies, 0 served (0 B in, 0 B out)\n',
        stderr: '',
      });
      expect(JSON.parse((await cached.run(['status', '--output', 'json'], 'viewer')).stdout)).toMatchObject({
        cache: { upstreamCopies: 0, served: 0, upstreamBytes: 0, servedBytes: 0 },
      });
    } finally {
      await cached.stop();
    }
  });

  it('words the counts in lifecycle order and leaves out the states no machine is in', () => {
    const machines = { discovered: 0, ready: 0, queued: 37, installing: 412, installed: 540, failed: 11 };
    expect(statusLine({ machines, total: 1000, cache: null })).toBe(
      '37 queued · 412 installing · 540 installed · 11 failed',
    );
  });
});
