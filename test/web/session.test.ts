import { describe, expect, it } from 'vitest';
import type { Authenticated } from '../../src/api/auth.js';
import { fromOwnPage } from '../../src/web/origin.js';
import { csrfMatches, sessionCookie, sessionIdOf, Sessions, SESSION_COOKIE } from '../../src/web/session.js';

// Dashboard sessions and the CSRF checks (catalogue S13), with the time given.

const ALICE: Authenticated = { name: 'alice', role: 'operator', tokenHash: 'f'.repeat(64) };
const MINUTE = 60_000;

function sessions(max = 10) {
  let now = 1_000_000;
  const store = new Sessions({
    idleMs: 30 * MINUTE,
    absoluteMs: 12 * 60 * MINUTE,
    maxSessions: max,
    now: () => now,
  });
  return { store, advance: (ms: number) => (now += ms) };
}

describe('Sessions', () => {
  it('makes unguessable ids and CSRF tokens, different for every session', () => {
    const { store } = sessions();
    const a = store.create(ALICE);
    const b = store.create(ALICE);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set([a.id, b.id, a.csrf, b.csrf]).size).toBe(4);
    expect(store.get(a.id)?.principal).toEqual(ALICE);
    expect(JSON.stringify(store.get(a.id))).not.toContain('fbt_');
  });

  it('ends a session left idle, and any session at its absolute lifetime however busy', () => {
    const { store, advance } = sessions();
    const idle = store.create(ALICE);
    const busy = store.create(ALICE);
    advance(29 * MINUTE);
    expect(store.get(busy.id)).toBeDefined();
    advance(2 * MINUTE);
    expect(store.get(idle.id)).toBeUndefined();
    // Used every 27 minutes: never idle, yet over 12 hours after login (31 + 26 × 27 min > 720 min).
    for (let use = 1; use <= 25; use++) {
      advance(27 * MINUTE);
      expect(store.get(busy.id)).toBeDefined();
    }
    advance(27 * MINUTE);
    expect(store.get(busy.id)).toBeUndefined();
  });

  it('keeps at most maxSessions, forgetting the oldest', () => {
    const { store } = sessions(2);
    const first = store.create(ALICE);
    const second = store.create(ALICE);
    const third = store.create(ALICE);
    expect([store.get(first.id), store.get(second.id)?.id, store.get(third.id)?.id]).toEqual([
      undefined,
      second.id,
      third.id,
    ]);
  });

  it('logs out: the id stops working at once', () => {
    const { store } = sessions();
    const session = store.create(ALICE);
    store.delete(session.id);
    expect(store.get(session.id)).toBeUndefined();
    expect(store.get(undefined)).toBeUndefined();
  });

  it('accepts only the session’s own CSRF token', () => {
    const { store } = sessions();
    const a = store.create(ALICE);
    const b = store.create(ALICE);
    expect(csrfMatches(a, a.csrf)).toBe(true);
    expect(csrfMatches(a, b.csrf)).toBe(false);
    expect(csrfMatches(a, a.csrf.slice(1))).toBe(false);
    expect(csrfMatches(a, undefined)).toBe(false);
    expect(csrfMatches(a, '')).toBe(false);
    expect(csrfMatches(a, [a.csrf])).toBe(false);
  });
});

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Strict, for /ui only, with a lifetime; Secure over TLS', () => {
    expect(sessionCookie('abc', { maxAgeSeconds: 3600, secure: false })).toBe(
      `${SESSION_COOKIE}=abc; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=3600`,
    );
    expect(sessionCookie('abc', { maxAgeSeconds: 3600, secure: true })).toMatch(/; Secure$/);
  });

  it('is read from a Cookie header among others, and only in its own shape', () => {
    const id = 'A'.repeat(43);
    expect(sessionIdOf(`theme=dark; ${SESSION_COOKIE}=${id}; x=1`)).toBe(id);
    expect(sessionIdOf(`${SESSION_COOKIE}=short`)).toBeUndefined();
    expect(sessionIdOf(`${SESSION_COOKIE}=${id}<script>`)).toBeUndefined();
    expect(sessionIdOf(`other_${SESSION_COOKIE}=${id}`)).toBeUndefined();
    expect(sessionIdOf(undefined)).toBeUndefined();
  });
});

describe('fromOwnPage (Origin and Sec-Fetch-Site)', () => {
  const request = (headers: Record<string, string>, protocol: 'http' | 'https' = 'http') => ({
    protocol,
    headers: { host: 'localhost:8080', ...headers },
  });

  it.each([
    [{ origin: 'http://localhost:8080', 'sec-fetch-site': 'same-origin' }, true],
    [{ origin: 'http://localhost:8080' }, true],
    [{ 'sec-fetch-site': 'same-origin' }, true],
    // A client that is not a browser sends neither: the CSRF token decides.
    [{}, true],
    [{ origin: 'http://evil.example' }, false],
    [{ origin: 'http://localhost:9090' }, false],
    [{ origin: 'https://localhost:8080' }, false],
    [{ origin: 'null' }, false],
    [{ 'sec-fetch-site': 'cross-site' }, false],
    [{ 'sec-fetch-site': 'same-site' }, false],
    [{ 'sec-fetch-site': 'none' }, false],
    [{ origin: 'http://localhost:8080', 'sec-fetch-site': 'cross-site' }, false],
  ])('%j → %s', (headers, expected) => {
    expect(fromOwnPage(request(headers))).toBe(expected);
  });

  it('compares with the scheme the request came over', () => {
    expect(fromOwnPage(request({ origin: 'https://localhost:8080' }, 'https'))).toBe(true);
  });
});
