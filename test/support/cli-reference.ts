import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/program.js';
import type { CliIo } from '../../src/cli/io.js';
import { EXIT_CODE_HELP } from '../../src/cli/exit-codes.js';
import { CLIENT_HELP } from '../../src/cli/client/command.js';

const quietIo: CliIo = { stdout: () => undefined, stderr: () => undefined, env: {}, cwd: '/' };

/** The markdown of docs/cli.md: each command's help text, as `fleetboot … --help` prints it. */
export function renderCliReference(): string {
  const program = buildProgram(quietIo);
  const sections: string[] = [];
  const walk = (command: Command, names: string[]): void => {
    const full = [...names, command.name()].join(' ');
    // A fixed width: the reference must not depend on the terminal that generated or checks it.
    command.configureHelp({ helpWidth: 100 });
    sections.push(
      `## \`${full}\`\n\n\`\`\`text\n${command.helpInformation({ error: false }).trimEnd()}\n\`\`\`\n`,
    );
    for (const sub of command.commands) walk(sub, [...names, command.name()]);
  };
  walk(program, []);
  return (
    '# fleetboot command line\n\n' +
    'Generated from the program by `npm run docs:cli`; every section is what `--help` prints.\n\n' +
    `\`\`\`text\n${EXIT_CODE_HELP}\n\`\`\`\n\n` +
    'The API commands (`machines list|show|label|assign|install|reinstall|cancel|forget`, `events`, `status`) ' +
    'say after their options:\n\n' +
    `\`\`\`text${CLIENT_HELP}\`\`\`\n\n` +
    sections.join('\n')
  );
}
