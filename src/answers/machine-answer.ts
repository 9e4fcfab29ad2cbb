import { buildAnswerContext, type AnswerContextInput } from './context.js';
import { renderAnswerFile } from './render.js';
import { loadAnswerTemplate, type AnswerTemplate } from './template.js';

/**
 * Loaded templates by name or path, each read and parsed once: the answer route renders on every fetch, and a
 * template directory does not change under a running server (a changed one is read again after a restart, as the
 * configuration is). A template that failed to load is tried again on the next call.
 */
export class AnswerTemplates {
  readonly #loaded = new Map<string, Promise<AnswerTemplate>>();

  load(nameOrPath: string): Promise<AnswerTemplate> {
    let loading = this.#loaded.get(nameOrPath);
    if (loading === undefined) {
      loading = loadAnswerTemplate(nameOrPath);
      loading.catch(() => this.#loaded.delete(nameOrPath));
      this.#loaded.set(nameOrPath, loading);
    }
    return loading;
  }
}

/**
 * One answer file of a machine, exactly as the installer gets it: the profile's template rendered with the
 * machine's context. Undefined when the template has no such file. Throws AnswerRenderError.
 */
export async function renderMachineAnswerFile(
  templates: AnswerTemplates,
  input: AnswerContextInput,
  file: string,
): Promise<{ text: string; contentType: string } | undefined> {
  const template = await templates.load(input.profile.template);
  if (!template.files.includes(file)) return undefined;
  return renderAnswerFile(template, file, buildAnswerContext(input));
}
