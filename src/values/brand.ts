/** A nominal type: a `string` that has passed one validator, so the type system remembers it did. */
export type Brand<T, Name extends string> = T & { readonly __brand: Name };

/** The error every value parser throws: says what was given and what is expected, for users to read. */
export class InvalidValueError extends Error {
  override readonly name = 'InvalidValueError';
  constructor(
    readonly kind: string,
    readonly input: string,
    readonly expected: string,
  ) {
    super(`invalid ${kind} ${JSON.stringify(input)}: expected ${expected}`);
  }
}
