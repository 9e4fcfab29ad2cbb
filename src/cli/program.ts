import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerConfig } from './commands/config.js';
import { registerDb } from './commands/db.js';
import { registerInit } from './commands/init.js';
import { registerLab } from './commands/lab.js';
import { registerOs } from './commands/os.js';
import { registerProfiles } from './commands/profiles.js';
import { API_COMMANDS, registerMachines, SERVER_COMMANDS } from './commands/machines.js';
import { registerEvents } from './commands/events.js';
import { registerStatus } from './commands/status.js';
import { registerMachinesRender } from './commands/machines-render.js';
import { registerServe } from './commands/serve.js';
import { registerToken } from './commands/token.js';
import { DEFAULT_CONFIG_PATHS } from './config-path.js';
import { EXIT_CODE_HELP, ExitCode } from './exit-codes.js';
import { CommandError, type CliIo } from './io.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('fleetboot')
    .description(
      'Network-install server: DHCP/proxyDHCP, TFTP and HTTP that install bare-metal fleets, once.',
    )
    .option(
      '-c, --config <file>',
      `configuration file of the server commands (default: $FLEETBOOT_CONFIG, else the first of ` +
        `${DEFAULT_CONFIG_PATHS.join(', ')} that exists, else the embedded defaults)`,
    )
    .addHelpText('after', `\n${EXIT_CODE_HELP}\n`)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });

  registerServe(program, io);
  registerInit(program, io);
  registerConfig(program, io);
  registerDb(program, io);
  registerOs(program, io);
  registerProfiles(program, io);
  registerMachinesRender(registerMachines(program, io), io);
  registerLab(program, io);
  registerToken(program, io);
  registerEvents(program, io);
  registerStatus(program, io);
  for (const command of program.commands) {
    // The API commands are clients of a running server (--server, --token); the others run on the server itself.
    command.helpGroup(
      ['machines', 'events', 'status'].includes(command.name()) ? API_COMMANDS : SERVER_COMMANDS,
    );
  }
  program
    .command('version')
    .description('Print the version of fleetboot and of the Node.js it runs on.')
    .action(() => {
      io.stdout(`fleetboot ${VERSION} (node ${process.version})\n`);
    });
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** Runs one command line; returns the exit code instead of exiting, so tests can run it in-process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0 in commander; everything else it raises is a usage error.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (error instanceof CommandError) {
      io.stderr(`fleetboot: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(
      `fleetboot: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return ExitCode.failure;
  }
}
