// GET /api/v1/events/stream: an appended event reaches an open stream; a reconnect with Last-Event-ID misses
// nothing; streams are bounded and end when the server closes.
import { connect } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { Mac } from '../../src/values/mac.js';
import { apiHarness, machine } from './harness.js';
import { listening, openStream } from './requests.js';

/** The `id:` and `data:` of each complete SSE message in `text`. */
function messages(text: string): { id: number; kind: string; machineId: string | null }[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('\ndata: '))
    .map((block) => {
      const id = /^id: (\d+)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
      const event = JSON.parse(data) as { kind: string; machineId: string | null };
      return { id: Number(id), kind: event.kind, machineId: event.machineId };
    });
}

const FAST = { pollMs: 20, heartbeatMs: 60_000 };

describe('event stream', () => {
  it('delivers an event appended after the stream opened, and resumes after Last-Event-ID', async () => {
    const h = await apiHarness({ eventStream: FAST });
    await h.store.events.append({ mac: '52:54:00:00:00:01' as Mac, source: 'dhcp', kind: 'before' });
    const stream = await openStream(h, '/api/v1/events/stream', h.auth(h.tokens.viewer));
    expect(stream.statusCode).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const first = await h.store.events.append({
      mac: '52:54:00:00:00:01' as Mac,
      source: 'dhcp',
      kind: 'DHCPDISCOVER',
    });
    await vi.waitFor(
      () => {
        expect(messages(stream.body).map((m) => m.kind)).toEqual(['DHCPDISCOVER']);
      },
      {
        timeout: 5000,
      },
    );
    expect(messages(stream.body)[0]?.id).toBe(first);
    stream.close();

    // Appended while nobody listened: a reconnect from the last id gets them, in order, each once.
    await h.store.events.append({ mac: '52:54:00:00:00:01' as Mac, source: 'tftp', kind: 'TFTP RRQ' });
    await h.store.events.append({
      mac: '52:54:00:00:00:01' as Mac,
      source: 'http',
      kind: 'answer-file served',
    });
    const resumed = await openStream(h, '/api/v1/events/stream', {
      ...h.auth(h.tokens.viewer),
      'last-event-id': String(first),
    });
    await vi.waitFor(
      () => {
        expect(messages(resumed.body).map((m) => m.kind)).toEqual(['TFTP RRQ', 'answer-file served']);
      },
      {
        timeout: 5000,
      },
    );
    resumed.close();
  });

  it("reads this server's appends when they are announced, not at its next poll", async () => {
    // A poll an hour away: only the store's announcement can bring the event to the stream within the wait.
    const h = await apiHarness({ eventStream: { pollMs: 3_600_000, heartbeatMs: 60_000 } });
    const stream = await openStream(h, '/api/v1/events/stream', h.auth(h.tokens.viewer));
    await vi.waitFor(() => {
      expect(stream.body).toContain('retry:');
    });
    await h.store.events.append({ mac: '52:54:00:00:00:01' as Mac, source: 'dhcp', kind: 'DHCPDISCOVER' });
    await h.store.events.appendMany([
      { mac: '52:54:00:00:00:01' as Mac, source: 'dhcp', kind: 'DHCPOFFER' },
      { mac: '52:54:00:00:00:01' as Mac, source: 'dhcp', kind: 'DHCPREQUEST' },
    ]);
    await vi.waitFor(
      () => {
        expect(messages(stream.body).map((m) => m.kind)).toEqual([
          'DHCPDISCOVER',
          'DHCPOFFER',
          'DHCPREQUEST',
        ]);
      },
      { timeout: 5000 },
    );
    stream.close();
  });

  it('follows one machine when asked, and refuses a malformed Last-Event-ID', async () => {
    const h = await apiHarness({ eventStream: FAST });
    const id = await machine(h, 1);
    const other = await machine(h, 2);
    const stream = await openStream(
      h,
      `/api/v1/events/stream?machineId=${id}&afterId=0`,
      h.auth(h.tokens.viewer),
    );
    await h.store.events.append({ machineId: other, source: 'dhcp', kind: 'other' });
    await h.store.events.append({ machineId: id, source: 'dhcp', kind: 'mine' });
    await vi.waitFor(
      () => {
        expect(messages(stream.body).map((m) => m.kind)).toEqual(['mine']);
      },
      {
        timeout: 5000,
      },
    );
    stream.close();

    const bad = await h.app.inject({
      url: '/api/v1/events/stream',
      headers: { ...h.auth(h.tokens.viewer), 'last-event-id': '12abc' },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('bounds the streams open at once, and ends them when the server closes', async () => {
    const h = await apiHarness({ eventStream: { ...FAST, maxStreams: 1 } });
    const one = await openStream(h, '/api/v1/events/stream', h.auth(h.tokens.viewer));
    const refused = await openStream(h, '/api/v1/events/stream', h.auth(h.tokens.viewer));
    expect(refused.statusCode).toBe(503);
    await vi.waitFor(() => {
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'FLEETBOOT_STREAMS_EXHAUSTED' } });
    });
    // close() would wait for the open response forever if the plugin did not end it (preClose).
    await h.app.close();
    await one.ended;
    expect(one.body).toContain('retry:');
  });
});

describe('event stream back-pressure', () => {
  it('stops reading the event log while a client does not take what it was sent', async () => {
    const h = await apiHarness({ eventStream: FAST });
    // 24 MiB of events: more than the loopback socket's buffers can hold for a client that never reads.
    const details = { note: 'x'.repeat(4000) };
    const total = 6000;
    for (let start = 0; start < total; start += 500) {
      await h.store.events.appendMany(
        Array.from({ length: 500 }, () => ({
          mac: '52:54:00:00:00:01' as Mac,
          source: 'dhcp' as const,
          kind: 'bulk',
          details,
        })),
      );
    }
    let read = 0;
    const list = h.store.events.list.bind(h.store.events);
    vi.spyOn(h.store.events, 'list').mockImplementation(async (query) => {
      const events = await list(query);
      read += events.length;
      return events;
    });
    const [host, port] = (await listening(h)).split(':');
    const socket = connect({ host, port: Number(port) });
    onTestFinished(() => {
      socket.destroy();
    });
    // A viewer that asks for everything from the start and then reads nothing (no 'data' listener).
    socket.write(
      `GET /api/v1/events/stream?afterId=0 HTTP/1.1\r\nhost: ${host}\r\n` +
        `authorization: ${h.auth(h.tokens.viewer).authorization}\r\n\r\n`,
    );
    // Reads go on until the buffers are full, then stop: wait until the count stays still.
    let before = -1;
    await vi
      .waitFor(
        async () => {
          const now = read;
          await new Promise((resolve) => setTimeout(resolve, 300));
          expect(read > 0 && read === now && read === before).toBe(true);
          before = read;
        },
        { timeout: 20_000, interval: 10 },
      )
      .catch(() => undefined);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(total);
  });
});
