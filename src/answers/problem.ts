/** One thing wrong with a rendered answer file, by its line (1-based) when it has one. */
export interface AnswerProblem {
  readonly line: number | undefined;
  readonly message: string;
}
