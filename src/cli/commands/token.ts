import { Argument, type Command, Option } from 'commander';
import { createApiToken } from '../../api/tokens.js';
import { API_ROLES, type ApiRole, type ApiToken } from '../../inventory/api-token.js';
import { TokenNameTakenError } from '../../store/errors.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { actorOf, withSession } from '../machines/session.js';
import { iso, table } from '../machines/view.js';

// `fleetboot token …` (issue 6, item 2): API tokens, made against the store on the server itself. That is how the
// first admin token comes to be (no API call can make one without a token), and it needs what the server needs:
// access to its data directory or database.

export function registerToken(program: Command, io: CliIo): Command {
  const token = program
    .command('token')
    .description('Create, list and revoke the API tokens of /api/v1 (run on the server, against its store).');

  token
    .command('create')
    .description(
      'Create an API token and print it on standard output, once: only its hash is stored. Roles: viewer reads; ' +
        'operator also labels, assigns, marks and cancels; admin also forgets machines and manages tokens.',
    )
    .requiredOption('--name <name>', 'a unique name, shown in the audit log (a-z, 0-9, `.`, `_`, `-`)')
    .addOption(new Option('--role <role>', 'what the token may do').choices(API_ROLES).makeOptionMandatory())
    .option('--actor <name>', 'who creates it, for the audit log (default: $USER@host)')
    .action(async (options: { name: string; role: ApiRole; actor?: string }, command: Command) => {
      const actor = actorOf(options.actor, io);
      await withSession(command, io, async ({ store }) => {
        let created;
        try {
          created = await createApiToken(store.tokens, {
            name: options.name,
            role: options.role,
            createdBy: actor,
          });
        } catch (error) {
          if (error instanceof TokenNameTakenError) throw new CommandError(error.message, ExitCode.usage);
          throw error;
        }
        await store.audit.append({
          actor,
          action: 'token.create',
          target: created.token.name,
          outcome: 'ok',
          details: { role: created.token.role, via: 'cli' },
        });
        io.stdout(`${created.secret}\n`);
        io.stderr(
          `created API token ${created.token.name} (${created.token.role}); it is shown this once: keep it now ` +
            '(send it as `Authorization: Bearer <token>`)\n',
        );
      });
    });

  token
    .command('list')
    .description('List the API tokens: name, role, when and by whom created, when revoked. Never the tokens.')
    .option('--output <format>', 'table or json', 'table')
    .action(async (options: { output: string }, command: Command) => {
      if (options.output !== 'table' && options.output !== 'json') {
        throw new CommandError('--output must be table or json', ExitCode.usage);
      }
      await withSession(command, io, async ({ store }) => {
        const tokens = await store.tokens.list();
        io.stdout(options.output === 'json' ? `${JSON.stringify(tokens, null, 2)}\n` : tokenTable(tokens));
      });
    });

  token
    .command('revoke')
    .description('Revoke an API token: it stops working at once. Its name stays taken.')
    .addArgument(new Argument('<name>', 'the token name'))
    .option('--actor <name>', 'who revokes it, for the audit log (default: $USER@host)')
    .action(async (name: string, options: { actor?: string }, command: Command) => {
      const actor = actorOf(options.actor, io);
      await withSession(command, io, async ({ store }) => {
        const revoked = await store.tokens.revoke(name);
        await store.audit.append({
          actor,
          action: 'token.revoke',
          target: name,
          outcome: revoked === undefined ? 'error' : 'ok',
          details: { via: 'cli' },
        });
        if (revoked === undefined) {
          throw new CommandError(
            `no API token named ${name}; \`fleetboot token list\` lists them`,
            ExitCode.usage,
          );
        }
        io.stdout(`revoked API token ${revoked.name}\n`);
      });
    });
  return token;
}

function tokenTable(tokens: readonly ApiToken[]): string {
  return table([
    ['NAME', 'ROLE', 'CREATED', 'BY', 'REVOKED'],
    ...tokens.map((t) => [
      t.name,
      t.role,
      iso(t.createdAt),
      t.createdBy,
      t.revokedAt === null ? '-' : iso(t.revokedAt),
    ]),
  ]);
}
