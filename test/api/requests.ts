// How tests call the API: through inject, or a real loopback socket for the event stream (inject waits for the end
// of a response, which a stream never reaches).
import { request as httpRequest } from 'node:http';
import type { AnyRoute } from '../../src/api/route.js';
import type { ApiHarness } from './harness.js';

export interface Sent {
  readonly statusCode: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, unknown>>;
}

/** The server's loopback address, listening from the first call on. */
export async function listening(h: ApiHarness): Promise<string> {
  const address = h.app.server.address();
  if (address !== null && typeof address === 'object') return `127.0.0.1:${address.port}`;
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  return listening(h);
}

/** Opens a stream and resolves with its status and headers once they arrive; `body` is what came with them. */
export async function openStream(
  h: ApiHarness,
  path: string,
  headers: Record<string, string>,
): Promise<Sent & { close(): void; readonly ended: Promise<void> }> {
  const [host, port] = (await listening(h)).split(':');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port: Number(port), path, headers }, (res) => {
      const chunks: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => chunks.push(chunk));
      res.on('error', () => undefined);
      const ended = new Promise<void>((done) => res.on('close', done));
      resolve({
        ended,
        statusCode: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return chunks.join('');
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends one request to a route of the table, by inject unless the route streams. */
export async function send(
  h: ApiHarness,
  route: AnyRoute,
  sample: { readonly url: string; readonly payload?: object },
  headers: Record<string, string>,
): Promise<Sent> {
  if (route.produces === 'text/event-stream') {
    const stream = await openStream(h, sample.url, headers);
    stream.close();
    return stream;
  }
  const res = await h.app.inject({
    method: route.method,
    url: sample.url,
    headers,
    ...(sample.payload === undefined ? {} : { payload: sample.payload }),
  });
  return { statusCode: res.statusCode, body: res.body, headers: res.headers };
}
