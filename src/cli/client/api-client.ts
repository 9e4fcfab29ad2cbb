import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { API_PREFIX } from '../../api/route.js';
import { ErrorSchema } from '../../api/schemas.js';
import { type ClientSettings, SERVER_ENV } from './settings.js';

// The CLI's side of /api/v1 (docs/api.md): Node's fetch, a timeout on every call, each answer checked against the
// schema the server serialises it with (src/api/schemas.ts), and two errors a command can act on: the server
// answered with an API error, or it could not be reached. The token is sent in the Authorization header only and
// never appears in an error message.

export type Query = Readonly<Record<string, string | number | readonly string[] | undefined>>;

/** The API answered with `{"error": {"code", "message"}}`. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** No answer from the server, or an answer that is not fleetboot's API. */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

const compiled = new WeakMap<TSchema, ReturnType<typeof Compile>>();
function check<S extends TSchema>(schema: S, value: unknown): value is Static<S> {
  let validator = compiled.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    compiled.set(schema, validator);
  }
  return validator.Check(value);
}

export class ApiClient {
  constructor(
    private readonly settings: ClientSettings,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** `http://host:8080/api/v1`: what messages name. */
  get apiUrl(): string {
    return new URL(`.${API_PREFIX}`, this.settings.server).href;
  }

  /** One call; its answer is checked against `schema`. */
  async call<S extends TSchema>(
    schema: S,
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    route: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<Static<S>> {
    const url = this.url(route, options.query);
    const response = await this.send(url, {
      method,
      headers: {
        ...this.authorization(),
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    const body = await this.json(response, url);
    if (!response.ok) throw this.apiError(response, body);
    if (!check(schema, body))
      throw this.foreign(url, 'its answer does not have the shape this fleetboot expects');
    return body;
  }

  /**
   * A GET whose answer is a file, not JSON (a machine's boot capture): its bytes, once the server answered with
   * the expected content type within the timeout; an error answer throws as `call` does.
   */
  async download(route: string, contentType: string): Promise<Uint8Array> {
    const url = this.url(route);
    const response = await this.send(url, {
      headers: { ...this.authorization(), accept: `${contentType}, application/json` },
      signal: AbortSignal.timeout(this.settings.timeoutMs),
    });
    if (!response.ok) throw this.apiError(response, await this.json(response, url));
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith(contentType)) {
      throw this.foreign(url, `it answered ${type || 'no content type'}, not ${contentType}`);
    }
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw this.unreachable(error);
    }
  }

  /**
   * Opens a streaming GET (the event stream): resolves with the response once its headers arrived within the
   * timeout, or throws as `call` does. The body is the caller's to read and to cancel through `signal`.
   */
  async open(
    route: string,
    query: Query,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<Response> {
    const url = this.url(route, query);
    // The timeout is the connection's and the headers': the body of a stream may take as long as it likes.
    const connecting = new AbortController();
    const timer = setTimeout(() => {
      connecting.abort(new DOMException('the headers did not arrive in time', 'TimeoutError'));
    }, this.settings.timeoutMs);
    let response: Response;
    try {
      response = await this.send(url, {
        headers: { ...this.authorization(), ...headers },
        signal: AbortSignal.any([signal, connecting.signal]),
      });
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw this.apiError(response, await this.json(response, url));
    return response;
  }

  private url(route: string, query: Query = {}): URL {
    const url = new URL(`.${API_PREFIX}${route}`, this.settings.server);
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
    }
    return url;
  }

  private authorization(): Record<string, string> {
    return this.settings.token === undefined ? {} : { authorization: `Bearer ${this.settings.token}` };
  }

  private async send(url: URL, init: RequestInit): Promise<Response> {
    try {
      // No redirects: the bearer token would go along to wherever the answer points.
      return await this.fetchImpl(url, { ...init, redirect: 'error' });
    } catch (error) {
      if (isAbort(error) && init.signal?.aborted === true && !timedOut(error)) throw error;
      throw this.unreachable(error);
    }
  }

  private async json(response: Response, url: URL): Promise<unknown> {
    const type = response.headers.get('content-type') ?? '';
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.unreachable(error);
    }
    if (!type.startsWith('application/json')) {
      throw this.foreign(url, `it answered ${response.status} with ${type || 'no content type'}, not JSON`);
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.foreign(url, `it answered ${response.status} with malformed JSON`);
    }
  }

  private apiError(response: Response, body: unknown): ApiCallError {
    if (check(ErrorSchema, body))
      return new ApiCallError(response.status, body.error.code, body.error.message);
    return new ApiCallError(response.status, 'FLEETBOOT_UNKNOWN', `the server answered ${response.status}`);
  }

  /** The message says which URL, where it came from, and what to check; never the token. */
  private unreachable(error: unknown): UnreachableError {
    const { serverSource } = this.settings;
    const why = timedOut(error)
      ? `no answer within ${this.settings.timeoutMs / 1000} s`
      : describeNetworkError(error);
    return new UnreachableError(
      `cannot reach the fleetboot API at ${this.apiUrl} (${why}; the URL is from ${serverSource}): check that ` +
        `\`fleetboot serve\` runs there and that --server, ${SERVER_ENV} or client.yaml names its http.listen ` +
        'address or http.publicUrl',
    );
  }

  private foreign(url: URL, what: string): UnreachableError {
    return new UnreachableError(
      `${url.origin}${url.pathname} is not the fleetboot API this command expects: ${what} (another service on ` +
        'that port, or a fleetboot of another version?)',
    );
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function timedOut(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}

/** undici's `fetch failed` carries the socket's error as its cause: ECONNREFUSED, ENOTFOUND, a TLS failure. */
function describeNetworkError(error: unknown): string {
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code === undefined || cause.message.includes(code) ? cause.message : `${code}: ${cause.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
