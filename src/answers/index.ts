// The answers layer (docs/templates.md): liquid answer templates, per-format escaping filters, validators.
export {
  buildAnswerContext,
  type AnswerContext,
  type AnswerContextInput,
  type AnswerUrls,
} from './context.js';
export { AnswerRenderError } from './errors.js';
export { ANSWER_CONTENT_TYPE, checkAnswerTemplate, renderAnswerFile } from './render.js';
export { AnswerTemplate, BUILTIN_TEMPLATES, loadAnswerTemplate } from './template.js';
export {
  AnswerTemplates,
  machineAnswer,
  type MachineAnswer,
  type MachineAnswerDeps,
} from './machine-answer.js';
