// Every API error has one shape, `{error: {code, message}}`, with a code that never changes (clients branch on
// it) and a message that says what to do. Store errors carry stable codes already (store/errors.ts); this maps
// them to HTTP statuses in one place.
import { StoreError } from '../store/errors.js';

/** The stable codes of API errors, with the status each is sent with. */
export const API_ERRORS = {
  FLEETBOOT_INVALID_REQUEST: 400,
  FLEETBOOT_INVALID_CURSOR: 400,
  FLEETBOOT_UNKNOWN_PROFILE: 400,
  FLEETBOOT_UNAUTHENTICATED: 401,
  FLEETBOOT_FORBIDDEN: 403,
  FLEETBOOT_NOT_FOUND: 404,
  FLEETBOOT_MACHINE_NOT_FOUND: 404,
  FLEETBOOT_TOKEN_NOT_FOUND: 404,
  FLEETBOOT_IMAGE_NOT_FOUND: 404,
  FLEETBOOT_MACHINE_CONFLICT: 409,
  FLEETBOOT_DUPLICATE_VALUE: 409,
  FLEETBOOT_TOKEN_NAME_TAKEN: 409,
  FLEETBOOT_WRONG_STATE: 409,
  FLEETBOOT_NO_PROFILE: 409,
  FLEETBOOT_BODY_TOO_LARGE: 413,
  FLEETBOOT_UNSUPPORTED_MEDIA_TYPE: 415,
  FLEETBOOT_RATE_LIMITED: 429,
  FLEETBOOT_INTERNAL: 500,
  FLEETBOOT_AUDIT_FAILED: 500,
  FLEETBOOT_STORE_UNAVAILABLE: 503,
  FLEETBOOT_STORE_BUSY: 503,
  FLEETBOOT_STREAMS_EXHAUSTED: 503,
} as const;

export type ApiErrorCode = keyof typeof API_ERRORS;

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    /** Extra response headers: Retry-After, WWW-Authenticate. */
    readonly headers: Readonly<Record<string, string>> = {},
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.status = API_ERRORS[code];
  }
}

export interface ErrorBody {
  readonly error: { readonly code: ApiErrorCode; readonly message: string };
}

/** Store errors whose message is meant for the caller, by code. Anything else is internal. */
const STORE_CODES: Readonly<Record<string, ApiErrorCode>> = {
  FLEETBOOT_MACHINE_NOT_FOUND: 'FLEETBOOT_MACHINE_NOT_FOUND',
  FLEETBOOT_MACHINE_CONFLICT: 'FLEETBOOT_MACHINE_CONFLICT',
  FLEETBOOT_DUPLICATE_VALUE: 'FLEETBOOT_DUPLICATE_VALUE',
  FLEETBOOT_TOKEN_NAME_TAKEN: 'FLEETBOOT_TOKEN_NAME_TAKEN',
  FLEETBOOT_INVALID_CURSOR: 'FLEETBOOT_INVALID_CURSOR',
  FLEETBOOT_STORE_INVALID_INPUT: 'FLEETBOOT_INVALID_REQUEST',
  FLEETBOOT_STORE_UNAVAILABLE: 'FLEETBOOT_STORE_UNAVAILABLE',
  FLEETBOOT_STORE_BUSY: 'FLEETBOOT_STORE_BUSY',
};

/** What fastify's own errors (body parser, validation) become, by the status it gave them. */
const FRAMEWORK_STATUSES: Readonly<Record<number, ApiErrorCode>> = {
  400: 'FLEETBOOT_INVALID_REQUEST',
  404: 'FLEETBOOT_NOT_FOUND',
  413: 'FLEETBOOT_BODY_TOO_LARGE',
  415: 'FLEETBOOT_UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Any error thrown while answering, as the ApiError the client gets. Unknown errors become FLEETBOOT_INTERNAL
 * with a message that reveals nothing of the server (the log has the details); the store's unavailable message
 * names the database host, never its credentials (store/errors.ts).
 */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof StoreError) {
    const code = STORE_CODES[error.code];
    if (code === 'FLEETBOOT_STORE_UNAVAILABLE' || code === 'FLEETBOOT_STORE_BUSY') {
      return new ApiError(
        code,
        'the database is unavailable or busy; nothing was changed, retry in a moment',
      );
    }
    if (code !== undefined) return new ApiError(code, error.message);
  }
  if (isFrameworkError(error)) {
    const code = FRAMEWORK_STATUSES[error.statusCode];
    if (code !== undefined) return new ApiError(code, frameworkMessage(code, error));
  }
  return new ApiError('FLEETBOOT_INTERNAL', 'internal error; the server log has the details');
}

interface FrameworkError {
  readonly statusCode: number;
  readonly message: string;
}

function isFrameworkError(error: unknown): error is FrameworkError {
  return error instanceof Error && 'statusCode' in error && typeof error.statusCode === 'number';
}

function frameworkMessage(code: ApiErrorCode, error: FrameworkError): string {
  if (code === 'FLEETBOOT_BODY_TOO_LARGE')
    return 'the request body is larger than the server accepts; send less';
  if (code === 'FLEETBOOT_UNSUPPORTED_MEDIA_TYPE') return 'send the body as application/json';
  if (code === 'FLEETBOOT_NOT_FOUND') return 'no such route; GET /api/v1/openapi.json lists the routes';
  // Validation messages name the field and the rule (`body/labels/rack must match pattern …`), never the value.
  return 'validationContext' in error
    ? `${error.message}; see GET /api/v1/openapi.json for the request schema`
    : 'the request is malformed (invalid JSON, or a body where none belongs); fix it and retry';
}

export function errorBody(error: ApiError): ErrorBody {
  return { error: { code: error.code, message: error.message } };
}
