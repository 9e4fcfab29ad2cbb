import { type Command, InvalidArgumentError, Option } from 'commander';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { ApiClient } from './api-client.js';
import { asCommandError } from './errors.js';
import {
  type ClientFlags,
  clientFilePath,
  DEFAULT_SERVER,
  DEFAULT_TIMEOUT_S,
  resolveClientSettings,
  SERVER_ENV,
  TOKEN_ENV,
} from './settings.js';

// What makes a command a client of the API: its --server, --token and --timeout, a client built from them (or
// the environment, or the user's client.yaml), and API errors turned into the CLI's exit codes.

const API_OPTIONS = 'API options:';

export const CLIENT_HELP = `
Talks to a running fleetboot over its API (docs/api.md), never to its store:
  server  --server, else $${SERVER_ENV}, else client.yaml, else ${DEFAULT_SERVER}
  token   --token, else $${TOKEN_ENV}, else client.yaml; what it may do is its role's
          (viewer reads; operator also labels, assigns, marks, cancels; admin also forgets)
  client.yaml is $XDG_CONFIG_HOME/fleetboot/client.yaml (default ~/.config/fleetboot/client.yaml),
  mode 0600, with \`server: URL\` and \`token: fbt_…\` (fleetboot token create, on the server).
`;

/** Adds the API options and the help text that says where the server and the token come from. */
export function apiCommand(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--server <url>',
        `the fleetboot server (default: $${SERVER_ENV}, client.yaml, ${DEFAULT_SERVER})`,
      ).helpGroup(API_OPTIONS),
    )
    .addOption(
      new Option(
        '--token <token>',
        `API token (default: $${TOKEN_ENV}, client.yaml); a command line is visible to other users, prefer those`,
      ).helpGroup(API_OPTIONS),
    )
    .addOption(
      new Option('--timeout <seconds>', `how long one API call may take (default: ${DEFAULT_TIMEOUT_S})`)
        .argParser(parseSeconds)
        .helpGroup(API_OPTIONS),
    )
    .addHelpText('after', CLIENT_HELP);
}

/** Runs `run` with a client of the API; API and connection errors leave as the CLI's exit codes. */
export async function withClient<T>(
  command: Command,
  io: CliIo,
  run: (client: ApiClient) => Promise<T>,
): Promise<T> {
  const settings = resolveClientSettings(command.opts<ClientFlags>(), io);
  if (settings.token === undefined) {
    throw new CommandError(
      `no API token: give --token, set ${TOKEN_ENV}, or write \`token: fbt_…\` in ${clientFilePath(io.env)} ` +
        '(mode 0600); make one on the server with `fleetboot token create --name NAME --role operator`',
      ExitCode.denied,
    );
  }
  try {
    return await run(new ApiClient(settings));
  } catch (error) {
    throw asCommandError(error);
  }
}

function parseSeconds(text: string): number {
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    throw new InvalidArgumentError('whole seconds from 1 to 3600');
  }
  return seconds;
}
