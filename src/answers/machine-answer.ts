import type { Machine } from '../inventory/machine.js';
import type { OsImage } from '../inventory/os-image.js';
import type { Profile, Rule } from '../inventory/profile.js';
import { type BootFacts, resolveProfile } from '../inventory/rules.js';
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

/** What a machine's answer files are made from, in a running server or in `fleetboot machines render`. */
export interface MachineAnswerDeps {
  readonly templates: AnswerTemplates;
  readonly profiles: readonly Profile[];
  readonly rules: readonly Rule[];
  /** The imported image of this name (Catalog.get). */
  readonly image: (name: string) => Promise<OsImage | undefined>;
}

export type MachineAnswer =
  | {
      readonly kind: 'answer';
      readonly profile: Profile;
      readonly template: AnswerTemplate;
      readonly file: string;
      readonly text: string;
      readonly contentType: string;
    }
  /** No profile is assigned and no rule matches, or the assigned one is not in the configuration. */
  | { readonly kind: 'no-profile' }
  | { readonly kind: 'no-image'; readonly profile: Profile }
  | { readonly kind: 'no-file'; readonly profile: Profile; readonly template: AnswerTemplate };

/**
 * One answer file of a machine, exactly as the installer gets it: the profile the boot decision uses
 * (inventory/rules.ts resolveProfile), its template rendered with the machine's context and the imported image.
 * `file` undefined means the template's first; `facts` are what the boot decision matched rules with (the
 * subnet). Throws AnswerRenderError when the file cannot be made.
 */
export async function machineAnswer(
  deps: MachineAnswerDeps,
  machine: Machine,
  file: string | undefined,
  request: Pick<AnswerContextInput, 'ip' | 'urls'> & { readonly facts?: BootFacts },
): Promise<MachineAnswer> {
  const match = resolveProfile(machine, request.facts ?? {}, deps.rules, deps.profiles);
  if (match === undefined) return { kind: 'no-profile' };
  const { profile } = match;
  const image = await deps.image(profile.os);
  if (image === undefined) return { kind: 'no-image', profile };
  const template = await deps.templates.load(profile.template);
  const chosen = file ?? template.files[0] ?? '';
  if (!template.files.includes(chosen)) return { kind: 'no-file', profile, template };
  const context = buildAnswerContext({ machine, profile, image, ip: request.ip, urls: request.urls });
  return { kind: 'answer', profile, template, file: chosen, ...renderAnswerFile(template, chosen, context) };
}
