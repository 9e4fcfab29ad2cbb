// Dashboard sessions (reliability-catalogue S13): a login with an API token makes one, kept in this process's
// memory only. The browser holds a random id in an HttpOnly, SameSite=Strict cookie; the server holds who it is
// (the token's name, role and hash — never the token) and the session's CSRF token. A restart logs everyone out,
// which is the safe way for it to fail.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Authenticated } from '../api/auth.js';

export interface SessionOptions {
  /** A session unused this long ends. */
  readonly idleMs: number;
  /** A session ends this long after login, used or not. */
  readonly absoluteMs: number;
  /** Sessions kept at once; beyond it the oldest is ended (memory stays bounded whatever logs in). */
  readonly maxSessions: number;
  readonly now: () => number;
}

export const DEFAULT_SESSIONS = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
  maxSessions: 1000,
} as const;

export interface Session {
  /** The cookie's value: 256 random bits. */
  readonly id: string;
  /** Sent back with every state-changing form (double submit is not enough on its own: it lives here). */
  readonly csrf: string;
  readonly principal: Authenticated;
  readonly createdAt: number;
  lastUsedAt: number;
  /** One message for the next page shown (an action's outcome), then gone. */
  flash: { readonly text: string; readonly error: boolean } | undefined;
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly options: SessionOptions) {}

  create(principal: Authenticated): Session {
    if (this.sessions.size >= this.options.maxSessions) {
      const oldest = this.sessions.keys().next();
      if (oldest.done !== true) this.sessions.delete(oldest.value);
    }
    const now = this.options.now();
    const session: Session = {
      id: randomToken(),
      csrf: randomToken(),
      principal,
      createdAt: now,
      lastUsedAt: now,
      flash: undefined,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session of this id (and it counts as used now), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined) return undefined;
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const now = this.options.now();
    if (
      now - session.lastUsedAt >= this.options.idleMs ||
      now - session.createdAt >= this.options.absoluteMs
    ) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastUsedAt = now;
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Seconds the cookie may live: the absolute lifetime (the idle limit is enforced here). */
  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.options.absoluteMs / 1000);
  }
}

function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a CSRF token sent with a form is the session's, compared in constant time. */
export function csrfMatches(session: Session, sent: unknown): boolean {
  if (typeof sent !== 'string') return false;
  const expected = Buffer.from(session.csrf);
  const given = Buffer.from(sent);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const SESSION_COOKIE = 'fleetboot_session';

/**
 * The Set-Cookie value of a session (RFC 6265 §4.1): HttpOnly (no script reads it), SameSite=Strict (no other
 * site's page sends it), Path=/ui (the API never sees it, so it cannot become an API credential), Secure when the
 * request came over TLS. Max-Age 0 deletes it.
 */
export function sessionCookie(value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  const secure = options.secure ? '; Secure' : '';
  return `${SESSION_COOKIE}=${value}; Path=/ui; HttpOnly; SameSite=Strict; Max-Age=${String(options.maxAgeSeconds)}${secure}`;
}

/** The session id of a Cookie header (RFC 6265 §5.4), or undefined. */
export function sessionIdOf(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const pair of cookieHeader.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    if (pair.slice(0, at).trim() === SESSION_COOKIE) {
      const value = pair.slice(at + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}
