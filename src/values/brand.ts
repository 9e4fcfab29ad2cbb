import { redactCredentials } from './redact.js';

/** A nominal type: a `string` that has passed one validator, so the type system remembers it did. */
export type Brand<T, Name extends string> = T & { readonly __brand: Name };

/** The error every value parser throws: says what was given and what is expected, for users to read. */
export class InvalidValueError extends Error {
  override readonly name = 'InvalidValueError';
  /**
   * What was given, with any URL password or secret parameter masked. Kept redacted, not raw: an error reaches
   * logs whole (pino serializes every field), and a refused `postgres://…` still carries its real password.
   */
  readonly input: string;

  constructor(
    readonly kind: string,
    input: string,
    readonly expected: string,
  ) {
    const shown = redactCredentials(input);
    super(`invalid ${kind} ${JSON.stringify(shown)}: expected ${expected}`);
    this.input = shown;
  }
}
