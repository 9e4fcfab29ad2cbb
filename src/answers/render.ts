import type { AnswerContext } from './context.js';
import { AnswerRenderError } from './errors.js';
import { liquidProblem } from './liquid-error.js';
import type { AnswerTemplate } from './template.js';
import { validateAnswerFile } from './validate.js';

/** The files are text for the installer to read; text/plain also lets an operator's browser show one. */
export const ANSWER_CONTENT_TYPE = 'text/plain; charset=utf-8';

/**
 * Renders one file of a template for one machine, strictly (an undefined variable or a refused value is an
 * error, never a blank), then checks it with its format's validator, so a file that would not parse — or that a
 * value turned into something else — is never served. Throws AnswerRenderError.
 */
export function renderAnswerFile(
  template: AnswerTemplate,
  file: string,
  context: AnswerContext,
): { text: string; contentType: string } {
  const parsed = template.parsed.get(file);
  if (parsed === undefined) {
    throw new AnswerRenderError(
      template.name,
      file,
      undefined,
      undefined,
      `is not a file of this template (it has ${template.files.join(', ')})`,
    );
  }
  let text: string;
  try {
    text = template.engine.renderSync(parsed, context) as string;
  } catch (error) {
    const problem = liquidProblem(error, template.sources);
    throw new AnswerRenderError(
      template.name,
      problem.file ?? file,
      problem.line,
      problem.variable,
      withoutToken(problem.reason, context),
    );
  }
  const [problem] = validateAnswerFile(template.format, file, text);
  if (problem !== undefined) {
    throw new AnswerRenderError(
      template.name,
      `${file} (as rendered)`,
      problem.line,
      undefined,
      `${withoutToken(problem.message, context)} (${template.format} check)`,
    );
  }
  return { text, contentType: ANSWER_CONTENT_TYPE };
}

/**
 * An error's text with the machine's install token replaced by `<token>`: a validator quotes the line it refuses
 * (cut to a length, so possibly a part of the token), and a custom template's broken line may hold
 * `{{ urls.done }}`. The error goes to the log and the audit trail, which operators read; the token must not
 * (catalogue S06). Both the whole token and any token-shaped run after `/answers/` are replaced.
 */
export function withoutToken(text: string, context: AnswerContext): string {
  const token = context.urls.answers.slice(context.urls.answers.lastIndexOf('/') + 1);
  const whole = token.length < 16 ? text : text.split(token).join('<token>');
  return whole.replace(/\/answers\/[A-Za-z0-9_-]+/g, '/answers/<token>');
}

/**
 * What `fleetboot profiles check` runs: every file of the template rendered for `context` and validated.
 * Returns one AnswerRenderError per file that fails; empty when all pass.
 */
export function checkAnswerTemplate(template: AnswerTemplate, context: AnswerContext): AnswerRenderError[] {
  const errors: AnswerRenderError[] = [];
  for (const file of template.files) {
    try {
      renderAnswerFile(template, file, context);
    } catch (error) {
      if (!(error instanceof AnswerRenderError)) throw error;
      errors.push(error);
    }
  }
  return errors;
}
