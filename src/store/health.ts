// Whether the store can reach its database (catalogue P3: losing the database means no answers, never answers
// from stale state). The composition root reports it on /healthz; the DHCP server pauses while it is down.
import type { Logger } from '../observability/logger.js';

export type StoreHealth = 'up' | 'down';

export type HealthListener = (health: StoreHealth) => void;

/**
 * Down from the moment a connection is lost or a query fails because the database cannot be reached, up again
 * when a query succeeds. Listeners hear every change, once.
 */
export class HealthMonitor {
  private current: StoreHealth = 'up';
  private readonly listeners = new Set<HealthListener>();

  constructor(private readonly logger: Logger) {}

  get state(): StoreHealth {
    return this.current;
  }

  up(): void {
    if (this.current === 'up') return;
    this.logger.info('database reachable again');
    this.set('up');
  }

  down(cause: unknown): void {
    if (this.current === 'down') return;
    this.logger.warn({ err: cause }, 'database unreachable; requests that need it fail until it is back');
    this.set('down');
  }

  subscribe(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(health: StoreHealth): void {
    this.current = health;
    for (const listener of this.listeners) {
      // A listener's bug must not stop the others from hearing it, nor fail the query that noticed.
      try {
        listener(health);
      } catch (error) {
        this.logger.error({ err: error }, 'a store health listener threw');
      }
    }
  }
}
