// Request validation with TypeBox's own compiler instead of fastify's Ajv, for this plugin only: fastify's Ajv
// drops unknown properties silently (removeAdditional), where the API must refuse them with a message that names
// them (design.md §1: bad input gets a clear error). Query strings and path parameters are converted first (`?limit=10`
// is a string on the wire; `?state=ready` one value of an array); JSON bodies are checked as sent.
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

/** An error fastify sends as 400 through the API's error handler (errors.ts reads `validationContext`). */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  readonly statusCode = 400;
  constructor(
    readonly validationContext: string,
    message: string,
  ) {
    super(message);
  }
}

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const compiled = Compile(schema);
  const convert = httpPart === 'querystring' || httpPart === 'params';
  return (data: unknown) => {
    // fastify passes null for an absent body: for a body of optional fields only, that is `{}` (POST …/cancel
    // and …/install need not send one); a required field is still reported missing.
    const input = httpPart === 'body' && (data === null || data === undefined) ? {} : data;
    const value = convert ? Value.Convert(schema, input) : input;
    if (compiled.Check(value)) return { value };
    const part = httpPart ?? 'request';
    return { error: new RequestValidationError(part, describe(part, compiled.Errors(value))) };
  };
};

interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message: string;
  readonly params: object;
}

/** The most useful of the errors, as `body/labels/rack must match pattern …` or `querystring has unknown …`. */
function describe(part: string, errors: readonly SchemaError[]): string {
  const unknown = errors.find((e) => e.keyword === 'additionalProperties');
  if (unknown !== undefined) {
    const names = 'additionalProperties' in unknown.params ? unknown.params.additionalProperties : [];
    const list = Array.isArray(names) ? names.map(String).join(', ') : '';
    return `${part}${unknown.instancePath} has unknown properties: ${list}; remove them`;
  }
  // `schema is false` is how TypeBox reports what the additionalProperties error above explains better.
  const first = errors.find((e) => e.keyword !== 'boolean') ?? errors[0];
  // Names the field and the rule, never the value: it may be a secret someone pasted into the wrong field.
  return `${part}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`;
}
