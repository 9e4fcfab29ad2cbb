import { AnswerTemplates, machineAnswer } from '../answers/index.js';
import type { OsImage } from '../inventory/os-image.js';
import type { Profile, Rule } from '../inventory/profile.js';
import type { Logger } from '../observability/logger.js';
import type { AnswerRenderer } from './http-answers.js';

/**
 * The answer files of a machine as its installer fetches them (answers/machine-answer.ts): the profile resolved
 * with the boot's facts, its OS image and template. Undefined, with the reason logged, when nothing applies or
 * the template has no such file. Throws AnswerRenderError.
 */
export function machineAnswerRenderer(deps: {
  profiles: readonly Profile[];
  rules: readonly Rule[];
  image: (name: string) => Promise<OsImage | undefined>;
  /** The package cache's proxy URL, when it is on. */
  proxy: string | undefined;
  logger: Logger;
}): AnswerRenderer {
  const answerDeps = { templates: new AnswerTemplates(), ...deps };
  return async (machine, file, request) => {
    const urls = { ...request.urls, ...(deps.proxy === undefined ? {} : { proxy: deps.proxy }) };
    const answer = await machineAnswer(answerDeps, machine, file, {
      ip: request.ip ?? null,
      urls,
      facts: { subnet: request.subnet },
    });
    if (answer.kind === 'answer') return { text: answer.text, contentType: answer.contentType };
    deps.logger.warn({ machine: machine.id, file, why: answer.kind }, 'answer file not served');
    return undefined;
  };
}
