/**
 * An answer file that cannot be produced: a template that does not parse, an undefined variable, a value a filter
 * refused, a rendered file its format's validator rejects. The message names the template, the file and line, and
 * the variable when there is one, so `fleetboot profiles check` says what to fix. It never carries a value that
 * could be a secret (filters word their messages that way).
 */
export class AnswerRenderError extends Error {
  override readonly name = 'AnswerRenderError';
  constructor(
    readonly template: string,
    readonly file: string,
    readonly line: number | undefined,
    readonly variable: string | undefined,
    readonly reason: string,
  ) {
    super(
      `template ${template}, ${file}${line === undefined ? '' : ` line ${line}`}: ` +
        `${variable === undefined ? '' : `${variable} `}${reason}`,
    );
  }
}
