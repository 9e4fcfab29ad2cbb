import { describe, expect, it } from 'vitest';
import { StartupError, Supervisor, type Service } from '../../src/net/supervisor.js';
import { FakeClock } from '../support/fake-clock.js';
import { memoryLogger } from '../support/logger.js';

/** A service whose behaviour the test scripts: which start attempts fail, and a handle to fail it later. */
class ScriptedService implements Service {
  starts = 0;
  stops = 0;
  fail: ((error: unknown) => void) | undefined;
  constructor(
    readonly name: string,
    private readonly failingStarts: ReadonlySet<number> = new Set(),
    private readonly log: string[] = [],
  ) {}
  start(fail: (error: unknown) => void): Promise<void> {
    this.starts += 1;
    this.log.push(`start ${this.name}`);
    if (this.failingStarts.has(this.starts))
      return Promise.reject(new Error(`EADDRINUSE (attempt ${this.starts})`));
    this.fail = fail;
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.stops += 1;
    this.log.push(`stop ${this.name}`);
    return Promise.resolve();
  }
}

function setup() {
  const clock = new FakeClock();
  const { logger, lines } = memoryLogger();
  const supervisor = new Supervisor({
    logger,
    clock,
    startupAttempts: 3,
    initialBackoffMs: 1000,
    maxBackoffMs: 4000,
  });
  return { clock, supervisor, lines };
}

describe('Supervisor', () => {
  it('starts services in order and stops them in reverse order', async () => {
    const { supervisor } = setup();
    const log: string[] = [];
    supervisor.add(new ScriptedService('store', new Set(), log));
    supervisor.add(new ScriptedService('http', new Set(), log));
    await supervisor.startAll();
    expect(supervisor.states()).toEqual({ store: 'up', http: 'up' });
    await supervisor.stopAll();
    expect(log).toEqual(['start store', 'start http', 'stop http', 'stop store']);
    expect(supervisor.states()).toEqual({ store: 'stopped', http: 'stopped' });
  });

  it('retries a failed start with backoff, then succeeds', async () => {
    const { clock, supervisor } = setup();
    const http = new ScriptedService('http', new Set([1, 2]));
    supervisor.add(http);
    const started = supervisor.startAll();
    await clock.advance(999);
    expect(http.starts).toBe(1);
    await clock.advance(1);
    expect(http.starts).toBe(2);
    await clock.advance(2000); // second backoff doubles
    await started;
    expect(http.starts).toBe(3);
    expect(supervisor.states()).toEqual({ http: 'up' });
  });

  it('gives up after the startup attempts with a StartupError naming the service', async () => {
    const { clock, supervisor } = setup();
    supervisor.add(new ScriptedService('tftp', new Set([1, 2, 3])));
    const started = supervisor.startAll();
    const outcome = expect(started).rejects.toThrow(StartupError);
    await clock.advance(10_000);
    await outcome;
    await expect(started).rejects.toThrow(/tftp could not start: EADDRINUSE \(attempt 3\)/);
  });

  it('restarts a service that fails while running, and logs it', async () => {
    const { clock, supervisor, lines } = setup();
    const dhcp = new ScriptedService('dhcp');
    supervisor.add(dhcp);
    await supervisor.startAll();
    dhcp.fail?.(new Error('socket closed'));
    dhcp.fail?.(new Error('second report of the same failure'));
    expect(supervisor.states()).toEqual({ dhcp: 'down' });
    await clock.advance(1000);
    expect(dhcp.stops).toBe(1);
    expect(dhcp.starts).toBe(2);
    expect(supervisor.states()).toEqual({ dhcp: 'up' });
    const errors = lines().filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toBe('dhcp failed; restarting');
  });

  it('keeps retrying a restart that fails, with capped backoff', async () => {
    const { clock, supervisor } = setup();
    const dhcp = new ScriptedService('dhcp', new Set([2, 3, 4]));
    supervisor.add(dhcp);
    await supervisor.startAll();
    dhcp.fail?.(new Error('interface went away'));
    await clock.advance(1000); // restart 1 (start #2) fails
    await clock.advance(2000); // start #3 fails
    await clock.advance(4000); // start #4 fails
    expect(dhcp.starts).toBe(4);
    expect(supervisor.states()).toEqual({ dhcp: 'down' });
    await clock.advance(3999); // capped at 4000, not 8000
    expect(dhcp.starts).toBe(4);
    await clock.advance(1);
    expect(dhcp.starts).toBe(5);
    expect(supervisor.states()).toEqual({ dhcp: 'up' });
  });

  it('does not restart anything once stopping, and cancels pending restarts', async () => {
    const { clock, supervisor } = setup();
    const dhcp = new ScriptedService('dhcp');
    supervisor.add(dhcp);
    await supervisor.startAll();
    dhcp.fail?.(new Error('boom'));
    await supervisor.stopAll();
    await clock.advance(60_000);
    expect(dhcp.starts).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('abandons a stop that hangs after the stop timeout', async () => {
    const clock = new FakeClock();
    const { logger } = memoryLogger();
    const supervisor = new Supervisor({ logger, clock, stopTimeoutMs: 500 });
    supervisor.add({
      name: 'stuck',
      start: () => Promise.resolve(),
      stop: () => new Promise<void>(() => undefined),
    });
    await supervisor.startAll();
    const stopped = supervisor.stopAll();
    await clock.advance(500);
    await stopped;
    expect(supervisor.states()).toEqual({ stuck: 'stopped' });
  });
});
