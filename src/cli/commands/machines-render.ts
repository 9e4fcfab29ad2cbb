import type { Command } from 'commander';
import { AnswerTemplates } from '../../answers/machine-answer.js';
import { bootRootOf, Catalog } from '../../catalog/catalog.js';
import { createLogger } from '../../observability/logger.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { findMachine, SelectionError, storeMachines } from '../machines/select.js';
import { withSession } from '../machines/session.js';
import { previewHttpBase } from './answer-preview.js';
import { SERVER_COMMANDS } from './machines.js';
import { PREVIEW_TOKEN, previewMachineAnswer } from './machine-answer-preview.js';

/**
 * `fleetboot machines render <machine>` (issue 5 item 7): the answer file a machine would get, on standard output.
 * It runs on the server, against its configuration and store, not over the API: it renders with the server's
 * templates, profiles and OS images, and prints what the API never sends (password hashes and other profile
 * secrets as the installer will get them).
 */
export function registerMachinesRender(machines: Command, io: CliIo): void {
  machines
    .command('render')
    .helpGroup(SERVER_COMMANDS)
    .description(
      'Print the answer file a machine would get now: its profile (assigned, else the best rule) and template, ' +
        `rendered strictly for it. The install token is shown as ${PREVIEW_TOKEN}; notes go to standard error. ` +
        'Runs on the server, against its configuration (--config) and store: the answer carries secrets the API ' +
        'never sends.',
    )
    .argument('<machine>', 'id, MAC, host name or SMBIOS UUID')
    .option('--file <name>', 'which file of the template (default: its first, e.g. preseed.cfg or user-data)')
    .action(async (name: string, options: { file?: string }, command: Command) => {
      await withSession(command, io, async ({ config, store }) => {
        let machine;
        try {
          machine = await findMachine(storeMachines(store.inventory), name);
        } catch (error) {
          if (error instanceof SelectionError) throw new CommandError(error.message, ExitCode.failure);
          throw error;
        }
        const catalog = new Catalog({
          bootRoot: bootRootOf(config.dataDir),
          logger: createLogger({ level: 'silent' }),
          now: () => Date.now(),
        });
        const preview = await previewMachineAnswer(
          config,
          machine,
          {
            templates: new AnswerTemplates(),
            profiles: config.profiles,
            rules: config.rules,
            image: (os) => catalog.get(os),
          },
          options.file,
        );
        io.stdout(preview.text);
        const notes = [
          `${preview.file} of template ${preview.template} (profile ${preview.profile})`,
          ...(preview.otherFiles.length > 0
            ? [`the template also has ${preview.otherFiles.join(', ')} (--file)`]
            : []),
          ...(previewHttpBase(config).known
            ? []
            : [
                'http.publicUrl is not set: the machine gets the address its request arrives on (fleetboot.invalid)',
              ]),
          ...(machine.installMark === null
            ? [
                'the machine is not marked for install: it gets no answer file until `fleetboot machines install`',
              ]
            : []),
        ];
        io.stderr(notes.map((note) => `fleetboot: ${note}\n`).join(''));
      });
    });
}
