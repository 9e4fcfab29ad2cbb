// The route table: every /api/v1 route is one RouteSpec, the single source for registration, authorisation,
// auditing and the OpenAPI document. Deny by default (reliability-catalogue S01): `access` is required and checked
// when the table is registered, so a route without an explicit role cannot be served at all.
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type, { type Static, type TSchema } from 'typebox';
import { API_ROLES, type ApiRole } from '../inventory/api-token.js';
import { isOneOf } from '../values/guards.js';

export const API_PREFIX = '/api/v1';

/** Who may call a route: anyone (`public`, only health, version and the API description), or a minimum role. */
export type Access = ApiRole | 'public';
export const ACCESS_LEVELS: readonly Access[] = ['public', ...API_ROLES];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** The authenticated caller: a token's name and role. */
export interface Principal {
  readonly name: string;
  readonly role: ApiRole;
}

export const NoInput = Type.Object({}, { additionalProperties: false });
type NoInput = typeof NoInput;

/** What a handler receives: the validated request parts, typed by their schemas. */
export interface Call<P extends TSchema, Q extends TSchema, B extends TSchema> {
  readonly params: Static<P>;
  readonly query: Static<Q>;
  readonly body: Static<B>;
  /** Undefined only on public routes. */
  readonly principal: Principal | undefined;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/** What a handler may return for a schema: domain values are readonly all the way down. */
export type Out<T> = T extends (infer E)[]
  ? readonly Out<E>[]
  : T extends object
    ? { readonly [K in keyof T]: Out<T[K]> }
    : T;

/** Returned by a handler that has taken over the response (the SSE stream). */
export const HIJACKED: unique symbol = Symbol('hijacked');

export interface RouteSpec<
  P extends TSchema = NoInput,
  Q extends TSchema = NoInput,
  B extends TSchema = NoInput,
  R extends TSchema = TSchema,
> {
  readonly method: HttpMethod;
  /** Below /api/v1, in fastify's syntax: `/machines/:id`. */
  readonly url: string;
  /** Unique; the OpenAPI operationId and the name tests use. */
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  /**
   * The audit action of a state-changing route (`machine.labels`) and how its target is named. Required on every
   * method but GET (reliability-catalogue S08); registration refuses a route that changes state without one.
   */
  readonly audit?: {
    readonly action: string;
    readonly target: (call: Call<P, Q, B>) => string;
    /**
     * `handler`: what the handler calls writes the entry itself, refusals included (the install lifecycle does),
     * so the API adds one only when the call fails before reaching it (validation, an unavailable store).
     */
    readonly recordedBy?: 'api' | 'handler';
  };
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly response: R;
  /** Default 200. */
  readonly status?: 200 | 201;
  /** Default `application/json`; others are documented but not serialised by schema. */
  readonly produces?: 'application/json' | 'text/html' | 'text/event-stream' | 'application/vnd.tcpdump.pcap';
  readonly handler: (call: Call<P, Q, B>) => Promise<Out<Static<R>> | typeof HIJACKED>;
}

/** A call as the table sees it, its parts not yet typed by a route's schemas. */
export interface ErasedCall {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
  readonly principal: Principal | undefined;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/**
 * A route of any schemas, as the table holds it. Method signatures on purpose: their parameters are checked
 * bivariantly, so each typed RouteSpec is one of these without a cast.
 */
export interface AnyRoute extends Omit<
  RouteSpec<TSchema, TSchema, TSchema>,
  'handler' | 'audit' | 'params' | 'query' | 'body'
> {
  readonly params?: TSchema;
  readonly query?: TSchema;
  readonly body?: TSchema;
  readonly audit?: {
    target(call: ErasedCall): string;
    readonly action: string;
    readonly recordedBy?: 'api' | 'handler';
  };
  handler(call: ErasedCall): Promise<unknown>;
}

/** Types one route against its schemas; the result goes into the table. */
export function defineRoute<
  P extends TSchema = NoInput,
  Q extends TSchema = NoInput,
  B extends TSchema = NoInput,
  R extends TSchema = TSchema,
>(spec: RouteSpec<P, Q, B, R>): AnyRoute {
  return spec;
}

export class RouteTableError extends Error {
  override readonly name = 'RouteTableError';
}

const OPERATION_ID = /^[a-z][A-Za-z]*$/;

/**
 * Refuses a table that would serve something it should not: a route without a known access level (the deny-by-
 * default rule holds even for JavaScript callers and casts), a state-changing route without an audit action, a
 * public route that changes state, a duplicate operation or path.
 */
export function checkRouteTable(routes: readonly AnyRoute[]): void {
  const ids = new Set<string>();
  const paths = new Set<string>();
  for (const route of routes) {
    const name = `${route.method} ${route.url}`;
    const access: unknown = route.access;
    if (typeof access !== 'string' || !isOneOf(ACCESS_LEVELS, access)) {
      throw new RouteTableError(`${name} has no access level; give it one of ${ACCESS_LEVELS.join(', ')}`);
    }
    if (route.method !== 'GET' && route.audit === undefined) {
      throw new RouteTableError(`${name} changes state but has no audit action`);
    }
    if (route.method !== 'GET' && route.access === 'public') {
      throw new RouteTableError(`${name} changes state and cannot be public`);
    }
    if (!OPERATION_ID.test(route.operationId) || ids.has(route.operationId)) {
      throw new RouteTableError(`${name}: operationId ${route.operationId} is malformed or not unique`);
    }
    if (!route.url.startsWith('/') || paths.has(name)) {
      throw new RouteTableError(`${name} is malformed or registered twice`);
    }
    ids.add(route.operationId);
    paths.add(name);
  }
}
