// The dashboard mounted beside the API on the real HTTP app, as main.ts mounts it (one ApiAuth for both), over a
// fresh store with a token per role. Requests go through fastify's inject; sessions are real cookies.
import type { CacheSavings } from '../../src/values/cache-savings.js';
import type { ApiRole } from '../../src/inventory/api-token.js';
import { type DashboardOptions, registerDashboard } from '../../src/web/index.js';
import type { LightMyRequestResponse as Response } from 'fastify';
import { apiHarness, type ApiHarness } from '../api/harness.js';

/** A valid sha512crypt hash (openssl passwd -6 -salt saltsalt test): the canary no page may show (I7). */
export const USER_HASH =
  '$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40';
export const CANARY_KEY = 'canary-mirror-key-7731';

export const DASHBOARD_CONFIG = `
http: {listen: '127.0.0.1:8080'}
dhcp:
  subnets:
    - subnet: 192.0.2.0/24
      pools: [{start: 192.0.2.10, end: 192.0.2.20}]
profiles:
  - name: debian12
    os: debian-12-amd64
    template: debian-preseed
    variables: {disk: /dev/vda, username: ops, userPasswordHash: '${USER_HASH}', mirrorApiKey: ${CANARY_KEY}}
  - name: other
    os: debian-12-amd64
    template: debian-preseed
    variables: {disk: /dev/sda, username: ops, userPasswordHash: '${USER_HASH}'}
`;

export interface DashboardHarness extends ApiHarness {
  /** Signs in with the token of `role`; returns the session cookie (`name=value`). */
  login(role: ApiRole): Promise<string>;
  get(url: string, cookie?: string, headers?: Record<string, string>): Promise<Response>;
  post(
    url: string,
    form: Record<string, string>,
    cookie?: string,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** The CSRF token of the session behind `cookie`, read from a page as a browser would. */
  csrf(cookie: string): Promise<string>;
}

export async function dashboardHarness(
  options: DashboardOptions & {
    readonly cacheSavings?: () => CacheSavings;
    readonly authLimits?: { maxFailures: number; windowMs?: number };
  } = {},
): Promise<DashboardHarness> {
  const h = await apiHarness({
    config: DASHBOARD_CONFIG,
    ...(options.authLimits === undefined ? {} : { authLimits: options.authLimits }),
    mount: (parts) => {
      registerDashboard(
        parts.app,
        {
          store: parts.store,
          config: parts.config,
          lifecycle: parts.lifecycle,
          catalog: parts.catalog,
          auth: parts.auth,
          apiRoutes: parts.routes,
          logger: parts.logger,
          version: '9.9.9',
          now: () => parts.clock.now(),
          ...(options.cacheSavings === undefined ? {} : { cacheSavings: options.cacheSavings }),
        },
        options,
      );
    },
  });
  const get: DashboardHarness['get'] = async (url, cookie, headers = {}) =>
    await h.app.inject({ url, headers: { ...headers, ...(cookie === undefined ? {} : { cookie }) } });
  const post: DashboardHarness['post'] = async (url, form, cookie, headers = {}) =>
    await h.app.inject({
      method: 'POST',
      url,
      payload: new URLSearchParams(form).toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
        ...(cookie === undefined ? {} : { cookie }),
      },
    });
  return {
    ...h,
    get,
    post,
    async login(role) {
      const res = await post('/ui/login', { token: h.tokens[role] });
      if (res.statusCode !== 303) throw new Error(`login as ${role}: ${String(res.statusCode)} ${res.body}`);
      const cookie = String(res.headers['set-cookie']).split(';')[0];
      if (cookie === undefined) throw new Error('no session cookie');
      return cookie;
    },
    async csrf(cookie) {
      const page = await get('/ui/machines', cookie);
      const token = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1];
      if (token === undefined) throw new Error('no CSRF token on the page');
      return token;
    },
  };
}
