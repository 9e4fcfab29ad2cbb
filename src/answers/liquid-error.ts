import { LiquidError } from 'liquidjs';
import { FilterError } from './filter-error.js';

export interface LiquidProblem {
  readonly line: number | undefined;
  /** The file the problem is in: the one being rendered, or a file it includes. */
  readonly file: string | undefined;
  readonly variable: string | undefined;
  readonly reason: string;
}

const UNDEFINED_VARIABLE = /^undefined variable: (\S+)/;

/**
 * Where and why liquid failed. liquidjs wraps an error once per template it passes through (an include's error is
 * inside the including file's), so the innermost LiquidError has the position that matters, and the error inside
 * it says why: the variable liquid could not find, or what a filter refused in the expression of that `{{ … }}`.
 * `sources` are the template's files by name.
 */
export function liquidProblem(error: unknown, sources: ReadonlyMap<string, string>): LiquidProblem {
  let innermost: LiquidError | undefined;
  let cause: unknown = error;
  while (LiquidError.is(cause)) {
    innermost = cause;
    cause = cause.originalError;
  }
  if (innermost === undefined) throw error; // not liquid's: a bug of ours, not a template problem
  const token = innermost.token;
  const line = token.getPosition()[0];
  // A token of an included file does not always carry its name (liquidjs leaves `file` unset when a partial is
  // parsed at render time); the text it was cut from says which file it is.
  const file = token.file ?? [...sources].find(([, text]) => text === token.input)?.[0];
  const message =
    cause instanceof Error ? cause.message : innermost.message.replace(/, file:.*$|, line:.*$/, '');
  const undefinedVariable = UNDEFINED_VARIABLE.exec(message);
  if (undefinedVariable !== null) {
    return { line, file, variable: undefinedVariable[1], reason: 'is not defined' };
  }
  const variable = cause instanceof FilterError ? outputExpression(token.getText()) : undefined;
  return { line, file, variable, reason: message };
}

/** `profile.variables.rootPasswordHash` of `{{ profile.variables.rootPasswordHash | password_hash }}`. */
function outputExpression(text: string): string | undefined {
  const match = /^\{\{-?\s*([^|}]*?)\s*(?:\||-?\}\})/.exec(text);
  return match?.[1] === '' ? undefined : match?.[1];
}
