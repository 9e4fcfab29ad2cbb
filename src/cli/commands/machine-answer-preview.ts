import { AnswerRenderError } from '../../answers/errors.js';
import type { MachineAnswerDeps } from '../../answers/machine-answer.js';
import type { FleetbootConfig } from '../../config/types.js';
import type { Machine } from '../../inventory/machine.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError } from '../io.js';
import { PREVIEW_TOKEN, previewAnswer } from '../../api/answer-preview.js';

export { PREVIEW_TOKEN };

export interface MachineAnswerPreview {
  readonly profile: string;
  readonly template: string;
  readonly file: string;
  /** The template's other files, for the operator to ask for with --file. */
  readonly otherFiles: readonly string[];
  readonly text: string;
}

/**
 * What `fleetboot machines render` prints: one answer file of a machine as the answer route renders it
 * (answers/machine-answer.ts), with the token replaced by PREVIEW_TOKEN. Throws CommandError saying why there
 * is none.
 */
export async function previewMachineAnswer(
  config: FleetbootConfig,
  machine: Machine,
  deps: MachineAnswerDeps,
  file?: string,
): Promise<MachineAnswerPreview> {
  const name = machine.hostname ?? machine.macs[0] ?? machine.id;
  let answer;
  try {
    answer = await previewAnswer(config, deps, machine, file);
  } catch (error) {
    if (error instanceof AnswerRenderError) throw new CommandError(error.message, ExitCode.config);
    throw error;
  }
  switch (answer.kind) {
    case 'no-profile':
      throw new CommandError(
        machine.profile === null
          ? `machine ${name} has no profile: none is assigned and no rule matches it (fleetboot machines assign)`
          : `machine ${name} is assigned profile ${machine.profile}, which the configuration does not define`,
        ExitCode.failure,
      );
    case 'no-image':
      throw new CommandError(
        `profile ${answer.profile.name} installs OS image ${answer.profile.os}, which is not imported ` +
          '(fleetboot os import): the machine would boot locally',
        ExitCode.failure,
      );
    case 'no-file':
      throw new CommandError(
        `template ${answer.template.name} has no file ${file ?? ''} (it has ${answer.template.files.join(', ')})`,
        ExitCode.usage,
      );
    case 'answer':
      return {
        profile: answer.profile.name,
        template: answer.template.name,
        file: answer.file,
        otherFiles: answer.template.files.filter((f) => f !== answer.file),
        text: answer.text,
      };
  }
}
