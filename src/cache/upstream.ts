import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

/** A failure to get an answer from upstream at all (refused, reset, DNS, timeout); 502/504 to the client. */
export class UpstreamUnreachableError extends Error {
  override readonly name = 'UpstreamUnreachableError';
  constructor(
    readonly url: string,
    readonly timedOut: boolean,
    override readonly cause: unknown,
  ) {
    super(
      `${url}: ${timedOut ? 'no answer in time' : cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

export interface UpstreamRequest {
  readonly headers?: Readonly<Record<string, string>>;
}

/** Sends one GET upstream and resolves with the response head; the body is the caller's to read or destroy. */
export type UpstreamClient = (url: string, request: UpstreamRequest) => Promise<IncomingMessage>;

export interface UpstreamClientOptions {
  readonly userAgent: string;
  /** Idle time allowed on the connection (before the head, and between body chunks). */
  readonly timeoutMs: number;
}

/**
 * The one way the cache talks to upstream mirrors: plain node:http/https with keep-alive, so each mirror is a
 * few reused connections. `Accept-Encoding: identity`: a mirror must not recompress what it sends, because
 * indexes pass through byte-identical (their sizes and hashes are signed in Release) and packages are checked
 * against their index.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 32 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 32 }),
  } as const;
  return (url, request) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const parsed = new URL(url);
      const protocol = parsed.protocol === 'https:' ? 'https:' : 'http:';
      const send = protocol === 'https:' ? https.request : http.request;
      let timedOut = false;
      const req = send(
        parsed,
        {
          method: 'GET',
          agent: agents[protocol],
          headers: { 'user-agent': options.userAgent, 'accept-encoding': 'identity', ...request.headers },
        },
        (response) => {
          // The same idle limit applies while the body streams; a stalled mirror ends as a truncated body.
          const { socket } = response;
          const onIdle = (): void => {
            timedOut = true;
            response.destroy(new UpstreamUnreachableError(url, true, undefined));
          };
          socket.setTimeout(options.timeoutMs, onIdle);
          // The keep-alive socket outlives this response: without this, every request on it added a listener
          // that held its response until the socket closed.
          response.once('close', () => {
            socket.off('timeout', onIdle);
          });
          resolve(response);
        },
      );
      req.setTimeout(options.timeoutMs, () => {
        timedOut = true;
        req.destroy();
      });
      req.on('error', (error) => {
        reject(new UpstreamUnreachableError(url, timedOut, error));
      });
      req.end();
    });
}
