// A machine's answer file as an operator may read it (issue 6 item 4): rendered exactly as the installer would get
// it (answers/machine-answer.ts), with the install token replaced by a placeholder and every secret masked — the
// values of secret-named profile variables and every crypt hash, wherever they landed in the text (catalogue I7,
// S06, S13). Also the URLs `fleetboot machines render` and `profiles check` render with.
import type { AnswerContextInput } from '../answers/context.js';
import { AnswerRenderError } from '../answers/errors.js';
import {
  AnswerTemplates,
  type MachineAnswer,
  machineAnswer,
  type MachineAnswerDeps,
} from '../answers/machine-answer.js';
import type { Catalog } from '../catalog/catalog.js';
import type { FleetbootConfig } from '../config/types.js';
import type { JsonObject, JsonValue } from '../inventory/json.js';
import type { Machine } from '../inventory/machine.js';
import { answerUrls } from '../provision/http-answers.js';
import { isSecretName, REDACTED } from '../values/redact.js';

/**
 * Stands for the install token in a preview: the real one is a secret of the current mark (derived, never
 * stored), and a preview is pasted into tickets and chats.
 */
export const PREVIEW_TOKEN = 'INSTALL-TOKEN';

/** RFC 2606: a name that resolves nowhere, for a server address the configuration does not give. */
const UNKNOWN_SERVER = 'fleetboot.invalid';

/**
 * The HTTP base an installer is given: `http.publicUrl`, else the listen address when it is a specific one. A
 * wildcard listener's address is the one each request arrives on; a preview says so with a placeholder host.
 */
export function previewHttpBase(config: FleetbootConfig): { base: string; known: boolean } {
  if (config.http.publicUrl !== undefined)
    return { base: config.http.publicUrl.replace(/\/+$/, ''), known: true };
  const { host, port } = config.http.listen;
  const known = host !== '0.0.0.0' && host !== '::';
  const shown = !known ? UNKNOWN_SERVER : host.includes(':') ? `[${host}]` : host;
  return { base: `http://${shown}:${String(port)}`, known };
}

/** The URLs of one install, as the answer routes give them (provision/http-answers.ts answerUrls), plus the proxy. */
export function previewUrls(config: FleetbootConfig, token: string): AnswerContextInput['urls'] {
  const { base } = previewHttpBase(config);
  const proxy = config.cache.enabled ? config.cache.proxyUrl : undefined;
  return { ...answerUrls(base, token), ...(proxy === undefined ? {} : { proxy }) };
}

export type MaskedAnswer =
  | {
      readonly kind: 'answer';
      readonly profile: string;
      readonly template: string;
      readonly file: string;
      /** Every file of the template, this one included. */
      readonly files: readonly string[];
      readonly text: string;
    }
  /** Why there is none: no profile, no image, no such file, or the template refused the machine's values. */
  | { readonly kind: 'none'; readonly reason: string };

/**
 * One answer file of a machine as the installer would get it, with PREVIEW_TOKEN for its token (what
 * `fleetboot machines render` prints). Throws AnswerRenderError when the template refuses the machine's values.
 */
export function previewAnswer(
  config: FleetbootConfig,
  deps: MachineAnswerDeps,
  machine: Machine,
  file: string | undefined,
): Promise<MachineAnswer> {
  return machineAnswer(deps, machine, file, {
    ip: machine.reservedIp,
    urls: previewUrls(config, PREVIEW_TOKEN),
  });
}

/** One answer file of a machine with its secrets masked; `file` undefined means the template's first. */
export async function maskedAnswer(
  config: FleetbootConfig,
  deps: MachineAnswerDeps,
  machine: Machine,
  file?: string,
): Promise<MaskedAnswer> {
  let answer;
  try {
    answer = await previewAnswer(config, deps, machine, file);
  } catch (error) {
    // The error names the template, file, line and variable, never a value (answers/errors.ts).
    if (error instanceof AnswerRenderError) return { kind: 'none', reason: error.message };
    throw error;
  }
  switch (answer.kind) {
    case 'no-profile':
      return {
        kind: 'none',
        reason:
          machine.profile === null
            ? 'no profile: none is assigned and no rule matches this machine'
            : `profile ${machine.profile} is assigned but not defined in the configuration`,
      };
    case 'no-image':
      return {
        kind: 'none',
        reason: `profile ${answer.profile.name} installs ${answer.profile.os}, which is not imported (fleetboot os import)`,
      };
    case 'no-file':
      return {
        kind: 'none',
        reason: `template ${answer.template.name} has no file ${file ?? ''} (it has ${answer.template.files.join(', ')})`,
      };
    case 'answer':
      return {
        kind: 'answer',
        profile: answer.profile.name,
        template: answer.template.name,
        file: answer.file,
        files: answer.template.files,
        text: maskSecrets(answer.text, answer.profile.variables),
      };
  }
}

/** A machine's masked answer file as the running server renders it: its profiles, rules and imported images. */
export type AnswerPreviewer = (machine: Machine, file?: string) => Promise<MaskedAnswer>;

export function answerPreviewer(config: FleetbootConfig, catalog: Pick<Catalog, 'get'>): AnswerPreviewer {
  const deps: MachineAnswerDeps = {
    templates: new AnswerTemplates(),
    profiles: config.profiles,
    rules: config.rules,
    image: (name) => catalog.get(name),
  };
  return (machine, file) => maskedAnswer(config, deps, machine, file);
}

/** crypt(3) hashes as they appear in text: `$1$`, `$2b$`, `$5$`, `$6$`, yescrypt `$y$`, `$gy$`, `$7$`. */
const CRYPT_HASH_TEXT = /\$(?:1|2[aby]?|5|6|7|y|gy)\$[^\s'"]+/g;

/**
 * `text` with every secret of the profile replaced by ***: the values (at any depth) under secret-named keys, and
 * every crypt hash. Values too short to mean anything (under 4 characters) are left alone, so a `key: 1` does not
 * mask every 1 of the file.
 */
export function maskSecrets(text: string, variables: JsonObject): string {
  const secrets = [...new Set(secretValues(variables, false))]
    .filter((s) => s.length >= 4)
    .sort((a, b) => b.length - a.length);
  let masked = text;
  for (const secret of secrets) masked = masked.split(secret).join(REDACTED);
  return masked.replace(CRYPT_HASH_TEXT, REDACTED);
}

function secretValues(value: JsonValue, secret: boolean): string[] {
  if (typeof value === 'string') return secret ? [value] : [];
  if (typeof value === 'number') return secret ? [String(value)] : [];
  if (isJsonArray(value)) return value.flatMap((v) => secretValues(v, secret));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([name, v]) => secretValues(v, secret || isSecretName(name)));
  }
  return [];
}

/** Array.isArray narrows a readonly array to any[]; this keeps the element type. */
function isJsonArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}
