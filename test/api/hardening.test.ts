// Bad input at the HTTP edge of the API (reliability-catalogue H03, H04, H08): oversized headers and bodies, deep
// nesting, prototype-pollution keys. Each is refused with a clear status, nothing changes (I4), and the server
// keeps answering (I1).
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HTTP_LIMITS } from '../../src/net/http-app.js';
import { apiHarness, machine } from './harness.js';
import { listening } from './requests.js';

/** Sends raw bytes to the server and resolves with the status line of its answer. */
async function rawStatusLine(address: string, request: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) }, () => socket.end(request));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      resolve(received.split('\r\n')[0] ?? '');
    });
  });
}

describe('API hardening', () => {
  it('answers 431 to headers over 16 KiB and to 2000 headers, then keeps serving (H03)', async () => {
    const h = await apiHarness();
    const address = await listening(h);
    const big = `GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`;
    expect(await rawStatusLine(address, big)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    const many = `GET /api/v1/health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: vvvvvvvvvv\r\n`).join('')}\r\n`;
    expect(await rawStatusLine(address, many)).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect((await fetch(`http://${address}/api/v1/health`)).status).toBe(200);
  });

  it('runs on the server whose slow-client limits close a slowloris within 10 s (H04)', async () => {
    const h = await apiHarness();
    expect(h.app.server.headersTimeout).toBe(HTTP_LIMITS.headersTimeoutMs);
    expect(h.app.server.headersTimeout).toBeLessThanOrEqual(10_000);
    expect(h.app.server.requestTimeout).toBe(HTTP_LIMITS.requestTimeoutMs);
  });

  it('refuses a 10 MB body with 413, deep nesting and pollution keys with 400, and changes nothing (H08)', async () => {
    const h = await apiHarness();
    const id = await machine(h);
    const url = `/api/v1/machines/${id}/labels`;
    const before = await h.store.inventory.get(id);
    const put = (payload: string) =>
      h.app.inject({
        method: 'PUT',
        url,
        headers: { ...h.auth(h.tokens.operator), 'content-type': 'application/json' },
        payload,
      });

    const huge = await put(`{"labels":{"a":"${'x'.repeat(10 * 1024 * 1024)}"}}`);
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: { code: 'FLEETBOOT_BODY_TOO_LARGE' } });

    const deep = await put(`{"labels":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(deep.statusCode).toBe(400);
    const deepObject = await put(`{"labels":{"a":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}}`);
    expect(deepObject.statusCode).toBe(400);

    for (const polluting of [
      '{"labels":{"__proto__":{"polluted":"yes"}}}',
      '{"__proto__":{"polluted":"yes"},"labels":{}}',
      '{"labels":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      '{"constructor":{"prototype":{"polluted":"yes"}},"labels":{}}',
    ]) {
      const res = await put(polluting);
      expect(res.statusCode, polluting).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'FLEETBOOT_INVALID_REQUEST' } });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const notJson = await put('{"labels":');
    expect(notJson.statusCode).toBe(400);
    const wrongType = await h.app.inject({
      method: 'PUT',
      url,
      headers: { ...h.auth(h.tokens.operator), 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'labels=a',
    });
    expect(wrongType.statusCode).toBe(415);
    expect(wrongType.json()).toMatchObject({ error: { code: 'FLEETBOOT_UNSUPPORTED_MEDIA_TYPE' } });

    expect(await h.store.inventory.get(id)).toEqual(before);
    expect((await h.app.inject({ url: '/api/v1/health' })).statusCode).toBe(200);
  });

  it('reads no body from a caller that is not authenticated', async () => {
    const h = await apiHarness();
    const id = await machine(h);
    // Invalid JSON would be a 400 if it were parsed: authentication comes first (onRequest).
    const res = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/machines/${id}/labels`,
      headers: { 'content-type': 'application/json' },
      payload: '{"labels":',
    });
    expect(res.statusCode).toBe(401);
  });
});
