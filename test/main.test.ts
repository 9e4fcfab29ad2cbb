import { describe, expect, it } from 'vitest';
import { healthOf } from '../src/main.js';

describe('healthOf', () => {
  it('is ok only when every component is up', () => {
    expect(healthOf({ http: 'up', store: 'up' })).toEqual({
      status: 'ok',
      components: { http: 'up', store: 'up' },
    });
  });

  it.each(['down', 'starting', 'stopped'])('is degraded when a component is %s (→ 503)', (state) => {
    expect(healthOf({ http: 'up', store: state })).toEqual({
      status: 'degraded',
      components: { http: 'up', store: 'down' },
    });
  });
});
