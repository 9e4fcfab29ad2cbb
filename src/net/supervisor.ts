import type { Logger } from '../observability/logger.js';
import type { Clock } from './clock.js';

/**
 * A long-running part of the server (the HTTP server, a DHCP listener, the TFTP server). `start` resolves once it
 * serves; it calls `fail` if it breaks later (a socket error), and the supervisor restarts it.
 */
export interface Service {
  readonly name: string;
  start(fail: (error: unknown) => void): Promise<void>;
  /** Stops serving and releases its resources; in-flight work is finished first (draining). */
  stop(): Promise<void>;
}

export type ServiceState = 'starting' | 'up' | 'down' | 'stopped';

export interface SupervisorOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Attempts at startup before `startAll` gives up (a port in use should fail `serve`, not hang it). */
  readonly startupAttempts?: number;
  /** First restart delay; doubled per consecutive failure up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How long each `stop` may take during shutdown before it is abandoned. */
  readonly stopTimeoutMs?: number;
}

export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly service: string,
    override readonly cause: unknown,
  ) {
    super(`${service} could not start: ${describeError(cause)}`);
  }
}

interface Entry {
  readonly service: Service;
  state: ServiceState;
  failures: number;
  cancelRestart: (() => void) | undefined;
  /** Bumped on every start so a late failure report from an earlier incarnation is ignored. */
  generation: number;
}

/** Starts services, restarts a failed one with exponential backoff, and stops them all in reverse order. */
export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping = false;
  private readonly startupAttempts: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly stopTimeoutMs: number;

  constructor(private readonly options: SupervisorOptions) {
    this.startupAttempts = options.startupAttempts ?? 5;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 30_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  }

  add(service: Service): void {
    this.entries.push({ service, state: 'stopped', failures: 0, cancelRestart: undefined, generation: 0 });
  }

  states(): Readonly<Record<string, ServiceState>> {
    return Object.fromEntries(this.entries.map((e) => [e.service.name, e.state]));
  }

  /** Starts every service in order; retries each up to `startupAttempts` times, then throws StartupError. */
  async startAll(): Promise<void> {
    for (const entry of this.entries) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.startEntry(entry);
          break;
        } catch (error) {
          if (this.stopping) return;
          if (attempt >= this.startupAttempts) throw new StartupError(entry.service.name, error);
          const delay = this.backoff(attempt);
          this.log(entry).warn(
            { err: error, attempt, retryInMs: delay },
            `${entry.service.name} failed to start; retrying`,
          );
          await this.sleep(delay);
        }
      }
    }
  }

  /** Stops services in reverse start order, each bounded by `stopTimeoutMs`; never throws. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const entry of [...this.entries].reverse()) {
      entry.cancelRestart?.();
      entry.cancelRestart = undefined;
      if (entry.state === 'stopped') continue;
      try {
        await this.withTimeout(entry.service.stop(), this.stopTimeoutMs, `${entry.service.name} stop`);
      } catch (error) {
        this.log(entry).error({ err: error }, `${entry.service.name} did not stop cleanly`);
      }
      entry.state = 'stopped';
    }
  }

  private async startEntry(entry: Entry): Promise<void> {
    entry.state = 'starting';
    entry.generation += 1;
    const generation = entry.generation;
    try {
      await entry.service.start((error) => {
        this.onFailure(entry, generation, error);
      });
    } catch (error) {
      entry.state = 'down';
      throw error;
    }
    entry.state = 'up';
    entry.failures = 0;
    this.log(entry).info(`${entry.service.name} up`);
  }

  private onFailure(entry: Entry, generation: number, error: unknown): void {
    // A report from an earlier incarnation, or a second report of the same failure, changes nothing.
    if (generation !== entry.generation || entry.state !== 'up' || this.stopping) return;
    this.scheduleRestart(entry, error);
  }

  private scheduleRestart(entry: Entry, error: unknown): void {
    entry.state = 'down';
    entry.failures += 1;
    const delay = this.backoff(entry.failures);
    this.log(entry).error({ err: error, restartInMs: delay }, `${entry.service.name} failed; restarting`);
    entry.cancelRestart = this.options.clock.setTimer(() => {
      entry.cancelRestart = undefined;
      void this.restart(entry);
    }, delay);
  }

  private async restart(entry: Entry): Promise<void> {
    if (this.stopping) return;
    try {
      await this.withTimeout(entry.service.stop(), this.stopTimeoutMs, `${entry.service.name} stop`);
    } catch (error) {
      this.log(entry).warn({ err: error }, `${entry.service.name}: stop before restart failed`);
    }
    // stopAll may have begun while the stop above was awaited.
    if (this.isStopping()) return;
    try {
      await this.startEntry(entry);
    } catch (error) {
      this.scheduleRestart(entry, error);
    }
  }

  /** A method, not the field, so the check after an await is not narrowed away by the type checker. */
  private isStopping(): boolean {
    return this.stopping;
  }

  private backoff(failures: number): number {
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.max(0, failures - 1));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.clock.setTimer(resolve, ms));
  }

  private withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.options.clock.setTimer(() => {
        reject(new Error(`${what} took longer than ${ms} ms`));
      }, ms);
      promise.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  private log(entry: Entry): Logger {
    return this.options.logger.child({ component: entry.service.name });
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
