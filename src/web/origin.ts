// The second CSRF check (OWASP CSRF Prevention Cheat Sheet, "Verifying Origin With Standard Headers" and "Fetch
// Metadata"): a state-changing request must come from a page of this server as the browser addressed it. That
// works through an SSH tunnel (the browser's Origin and Host are then both localhost:<port>) and behind a proxy that
// keeps Host. The per-session token (session.ts) is the first check; this one also covers the login form, which
// has no session yet (login CSRF).

export interface RequestOrigin {
  readonly protocol: 'http' | 'https';
  readonly headers: {
    readonly host?: string | undefined;
    readonly origin?: string | undefined;
    readonly 'sec-fetch-site'?: string | string[] | undefined;
  };
}

/**
 * False when a browser says the request comes from elsewhere: an Origin (RFC 6454 §7) that is not this server's,
 * including `null` (sandboxed frames, some redirects), or Sec-Fetch-Site other than `same-origin` (another port of
 * the same host is `same-site`, and refused). Without either header (a client that is not a browser, or a very old
 * one) the decision is the CSRF token's.
 */
export function fromOwnPage(request: RequestOrigin): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const host = request.headers.host;
  return host !== undefined && origin === `${request.protocol}://${host}`;
}
