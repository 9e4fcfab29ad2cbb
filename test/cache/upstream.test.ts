import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createUpstreamClient } from '../../src/cache/upstream.js';
import { startUpstream, type TestUpstream } from './support.js';

let upstream: TestUpstream;

beforeEach(async () => {
  upstream = await startUpstream();
});

afterEach(async () => {
  await upstream.close();
});

describe('createUpstreamClient', () => {
  it('reuses one keep-alive connection without piling a timeout listener on it per request', async () => {
    upstream.files.set('/debian/a.deb', { body: Buffer.alloc(1000, 1) });
    const client = createUpstreamClient({ userAgent: 'test', timeoutMs: 5000 });
    const sockets = new Set<Socket>();
    const counts: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const response = await client(`${upstream.url}/debian/a.deb`, {});
      const socket = response.socket;
      sockets.add(socket);
      response.resume();
      await new Promise<void>((resolve) => response.once('close', resolve));
      counts.push(socket.listenerCount('timeout'));
    }
    expect(sockets.size).toBe(1);
    // Whatever the agent keeps on an idle socket, the count is the same after the 1st and the 20th response.
    expect(counts.at(-1)).toBe(counts[0]);
  });
});
