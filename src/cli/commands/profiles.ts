import type { Command } from 'commander';
import { buildAnswerContext } from '../../answers/context.js';
import { AnswerRenderError } from '../../answers/errors.js';
import { checkAnswerTemplate } from '../../answers/render.js';
import { loadAnswerTemplate } from '../../answers/template.js';
import { bootRootOf, Catalog } from '../../catalog/catalog.js';
import type { FleetbootConfig } from '../../config/types.js';
import type { OsImage } from '../../inventory/os-image.js';
import type { Profile } from '../../inventory/profile.js';
import { createLogger } from '../../observability/logger.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { previewHttpBase, previewUrls, sampleMachine, standInImage } from './answer-preview.js';
import { loadCommandConfig } from './load.js';

/** The token a check renders with: not a real one, and not one the answer routes would accept (wrong shape). */
const SAMPLE_TOKEN = 'SAMPLE-TOKEN';

export function registerProfiles(program: Command, io: CliIo): void {
  const profiles = program
    .command('profiles')
    .description('Check the install profiles of the configuration.');

  profiles
    .command('check')
    .description(
      "Render every file of each profile's answer template for a sample machine, strictly (an undefined " +
        "variable, a plain-text password or a value that would break the file is an error), run the format's " +
        "validator, and check that the profile's OS image is imported. The sample machine is the first one " +
        'declared with the profile, else one made from the first rule that selects it.',
    )
    .option(
      '--no-images',
      'do not check that the OS images are imported (e.g. on a machine that only lints configs)',
    )
    .action(async (options: { images: boolean }, command: Command) => {
      const { config, source } = loadCommandConfig(command.optsWithGlobals<{ config?: string }>().config, io);
      const where = source ?? '(no file: embedded defaults)';
      if (config.profiles.length === 0) {
        io.stdout(`${where}: no profiles\n`);
        return;
      }
      const catalog = options.images
        ? new Catalog({
            bootRoot: bootRootOf(config.dataDir),
            logger: createLogger({ level: 'warn' }),
            now: () => Date.now(),
          })
        : undefined;
      let failed = 0;
      for (const profile of config.profiles) {
        const problems = await checkProfile(config, profile, catalog);
        if (problems.length > 0) failed++;
        io.stdout(
          `profile ${profile.name} (template ${profile.template}, os ${profile.os}): ` +
            `${problems.length === 0 ? 'OK' : 'FAILED'}\n${problems.map((p) => `  ${p}\n`).join('')}`,
        );
      }
      if (!previewHttpBase(config).known) {
        io.stdout(
          'note: http.publicUrl is not set and HTTP listens on every address: each machine is given the address ' +
            'its request arrived on (shown here as fleetboot.invalid)\n',
        );
      }
      if (failed > 0) {
        throw new CommandError(
          `${failed} of ${config.profiles.length} profile(s) failed the check`,
          ExitCode.config,
        );
      }
    });
}

/** Every problem of one profile, as lines for the operator. */
async function checkProfile(
  config: FleetbootConfig,
  profile: Profile,
  catalog: Catalog | undefined,
): Promise<string[]> {
  const problems: string[] = [];
  let template;
  try {
    template = await loadAnswerTemplate(profile.template);
  } catch (error) {
    if (!(error instanceof AnswerRenderError)) throw error;
    return [error.message];
  }
  let image: OsImage | undefined;
  if (catalog !== undefined) {
    try {
      image = await catalog.get(profile.os);
      if (image === undefined) {
        problems.push(
          `OS image ${profile.os} is not imported (fleetboot os list; fleetboot os import <source>)`,
        );
      }
    } catch (error) {
      problems.push(`OS image ${profile.os}: ${(error as Error).message}`);
    }
  }
  try {
    const context = buildAnswerContext({
      machine: sampleMachine(config, profile),
      ip: null,
      profile,
      image: image ?? standInImage(profile, template.format),
      urls: previewUrls(config, SAMPLE_TOKEN),
    });
    problems.push(...checkAnswerTemplate(template, context).map((error) => error.message));
  } catch (error) {
    if (!(error instanceof AnswerRenderError)) throw error;
    problems.push(error.message);
  }
  return problems;
}
