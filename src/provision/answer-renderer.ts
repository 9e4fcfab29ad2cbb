import { AnswerTemplates, machineAnswer } from '../answers/index.js';
import type { OsImage } from '../inventory/os-image.js';
import type { Profile, Rule } from '../inventory/profile.js';
import type { AnswerRenderer } from './http-answers.js';

/**
 * The answer files of a machine as its installer fetches them (answers/machine-answer.ts): the profile resolved
 * with the boot's facts, its OS image and template; or why there is none (the route audits and logs it). Throws
 * AnswerRenderError.
 */
export function machineAnswerRenderer(deps: {
  profiles: readonly Profile[];
  rules: readonly Rule[];
  image: (name: string) => Promise<OsImage | undefined>;
  /** The package cache's proxy URL, when it is on. */
  proxy: string | undefined;
}): AnswerRenderer {
  const answerDeps = { templates: new AnswerTemplates(), ...deps };
  return async (machine, file, request) => {
    const urls = { ...request.urls, ...(deps.proxy === undefined ? {} : { proxy: deps.proxy }) };
    const answer = await machineAnswer(answerDeps, machine, file, {
      ip: request.ip ?? null,
      urls,
      facts: { subnet: request.subnet },
    });
    switch (answer.kind) {
      case 'answer':
        return { kind: 'answer', text: answer.text, contentType: answer.contentType };
      case 'no-profile':
        return { kind: 'no-profile' };
      case 'no-image':
        return { kind: 'no-image', profile: answer.profile.name, os: answer.profile.os };
      case 'no-file':
        return { kind: 'no-file', profile: answer.profile.name, template: answer.profile.template };
    }
  };
}
