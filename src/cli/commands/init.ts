import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { chooseInitInterface, detectInterfaces, renderStarterConfig } from '../../config/init.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';

interface InitOptions {
  interface?: string;
  mode: 'proxy' | 'full';
  allowDefaultRoute?: boolean;
  output?: string;
  force?: boolean;
}

export function registerInit(program: Command, io: CliIo): void {
  program
    .command('init')
    .description(
      'Write a commented starter fleetboot.yaml for one provisioning interface: its address and subnet are ' +
        'detected. Without --interface, the only candidate is chosen; the interface that carries the default ' +
        "route (usually the site's main network) is never chosen unless you name it and pass " +
        '--allow-default-route.',
    )
    .option('-i, --interface <name>', 'the interface facing the machines to install')
    .addOption(
      new Option(
        '--mode <mode>',
        'proxy: beside an existing DHCP server; full: fleetboot hands out addresses',
      )
        .choices(['proxy', 'full'])
        .default('proxy'),
    )
    .option('--allow-default-route', 'allow the interface that carries the default route')
    .option('-o, --output <file>', 'write the file here instead of standard output')
    .option('--force', 'overwrite --output if it exists')
    .action((options: InitOptions) => {
      const choice = chooseInitInterface(
        detectInterfaces(),
        options.interface,
        options.allowDefaultRoute ?? false,
      );
      if (!choice.ok) throw new CommandError(choice.reason, ExitCode.usage);
      const text = renderStarterConfig({
        interface: choice.interface.name,
        address: choice.interface.address,
        prefixLength: choice.interface.prefixLength,
        mode: options.mode,
      });
      if (options.output === undefined) {
        io.stdout(text);
        return;
      }
      const target = path.resolve(io.cwd, options.output);
      if (existsSync(target) && options.force !== true) {
        throw new CommandError(`${target} exists; pass --force to overwrite it`, ExitCode.usage);
      }
      writeFileSync(target, text, { mode: 0o640 });
      io.stderr(
        `wrote ${target} for ${choice.interface.name} (${choice.interface.address}/${choice.interface.prefixLength})\n`,
      );
    });
}
