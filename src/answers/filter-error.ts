/**
 * What a filter throws when a value cannot go into an answer file. The renderer turns it into an
 * AnswerRenderError that names the template, the line and the variable. The message never repeats a secret.
 */
export class FilterError extends Error {
  override readonly name = 'FilterError';
}
