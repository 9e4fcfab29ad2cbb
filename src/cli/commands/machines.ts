import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MACHINE_STATES, type Machine, type MachineState } from '../../inventory/machine.js';
import { LifecycleRefusedError } from '../../provision/lifecycle.js';
import { isOneOf } from '../../values/guards.js';
import { parseLabelPair } from '../../values/label.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { parseImportFile } from '../machines/import-file.js';
import { findMachine, type Selection, SelectionError, selectMachines } from '../machines/select.js';
import { actorOf, message, type Session, withSession } from '../machines/session.js';
import { iso, machineDetails, machineJson, machineTable } from '../machines/view.js';

// `fleetboot machines …` (issue 5 item 3): the inventory and the install lifecycle from the command line, against
// the store `serve` uses. Every change goes through the lifecycle, so it is the same event and audit entry an API
// call makes, with `--actor` (default $USER@host) as who did it.

interface SelectOptions {
  readonly label: string[];
  readonly match?: string;
  readonly actor?: string;
}

export function registerMachines(program: Command, io: CliIo): Command {
  const machines = program
    .command('machines')
    .description('List, show, assign, mark for install and import machines of the inventory.');

  machines
    .command('list')
    .description('List machines, oldest first; filter by state, label or pattern.')
    .addOption(
      new Option('--state <state>', 'only machines in this state (repeatable)')
        .choices(MACHINE_STATES)
        .argParser(collectState)
        .default([]),
    )
    .addOption(labelOption())
    .addOption(matchOption())
    .addOption(outputOption())
    .action(
      async (
        options: { state: MachineState[]; label: string[]; match?: string; output: Output },
        command: Command,
      ) => {
        await withSession(command, io, async ({ store }) => {
          const selection = selectionOf([], options);
          const found = await selectMachines(store.inventory, {
            ...selection,
            // No filter at all lists everything: unlike a change, a listing of every machine is harmless.
            match: selection.match ?? (Object.keys(selection.labels).length === 0 ? '*' : undefined),
            ...(options.state.length === 0 ? {} : { states: options.state }),
          });
          io.stdout(options.output === 'json' ? json(found.map(machineJson)) : machineTable(found));
        });
      },
    );

  machines
    .command('show')
    .description('Show one machine: by id, MAC, host name or SMBIOS UUID.')
    .argument('<machine>', 'id, MAC, host name or SMBIOS UUID')
    .addOption(outputOption())
    .action(async (name: string, options: { output: Output }, command: Command) => {
      await withSession(command, io, async ({ store }) => {
        const machine = await found(findMachine(store.inventory, name));
        io.stdout(options.output === 'json' ? json(machineJson(machine)) : machineDetails(machine));
      });
    });

  selecting(machines.command('assign'))
    .description(
      'Set the profile machines install with (a discovered machine becomes ready). With --clear, remove it: ' +
        'then every argument names a machine.',
    )
    .argument('[profile]', 'a profile of the configuration')
    .argument('[machines...]', 'ids, MACs, host names or SMBIOS UUIDs')
    .option('--clear', 'clear the profile instead of setting one')
    .action(
      async (
        profile: string | undefined,
        names: string[],
        options: SelectOptions & { clear?: boolean },
        command: Command,
      ) => {
        const clear = options.clear === true;
        if (!clear && profile === undefined) throw usage('assign needs a profile (or --clear)');
        const targets = clear && profile !== undefined ? [profile, ...names] : names;
        await change(command, io, targets, options, (lifecycle, machine, actor) =>
          lifecycle
            .assign(machine.id, clear ? null : (profile ?? null), actor)
            .then((m) => `profile ${m.profile ?? 'cleared'}, ${m.state}`),
        );
      },
    );

  for (const reinstall of [false, true]) {
    selecting(machines.command(reinstall ? 'reinstall' : 'install'))
      .description(
        reinstall
          ? 'Mark installed (or failed) machines for install again: their next network boot wipes the disk and ' +
              'installs their profile. Prints each machine and when its mark expires.'
          : 'Mark machines for install: their next network boot installs their profile, once. Prints each machine ' +
              'and when its mark expires; an installed machine needs `reinstall`.',
      )
      .argument('[machines...]', 'ids, MACs, host names or SMBIOS UUIDs')
      .addOption(
        new Option(
          '--ttl <duration>',
          'how long the mark is valid: 90m, 4h, 1d (default: install.markTtl)',
        ).argParser(parseTtl),
      )
      .action(async (names: string[], options: SelectOptions & { ttl?: number }, command: Command) => {
        await change(command, io, names, options, async (lifecycle, machine, actor) => {
          // The token goes into the machine's boot config only; it is never printed (catalogue S04).
          const { machine: marked } = await lifecycle.markInstall(machine.id, {
            actor,
            reinstall,
            ...(options.ttl === undefined ? {} : { ttlMs: options.ttl }),
          });
          return `${marked.state}, mark expires ${iso(marked.installMark?.expiresAt ?? 0)}`;
        });
      });
  }

  selecting(machines.command('cancel'))
    .description('Remove the install mark of machines (queued → ready; installing → failed).')
    .argument('[machines...]', 'ids, MACs, host names or SMBIOS UUIDs')
    .action(async (names: string[], options: SelectOptions, command: Command) => {
      await change(command, io, names, options, (lifecycle, machine, actor) =>
        lifecycle.cancel(machine.id, actor).then((m) => `mark canceled, ${m.state}`),
      );
    });

  machines
    .command('forget')
    .description('Remove machines from the inventory (their events stay). Refused while marked for install.')
    .argument('<machines...>', 'ids, MACs, host names or SMBIOS UUIDs')
    .addOption(actorOption())
    .action(async (names: string[], options: { actor?: string }, command: Command) => {
      await change(command, io, names, { label: [], ...options }, (lifecycle, machine, actor) =>
        lifecycle.forget(machine.id, actor).then(() => 'forgotten'),
      );
    });

  machines
    .command('import')
    .description(
      'Add or update machines from a CSV file (header row of mac, uuid, hostname, labels, profile; several MACs ' +
        'and labels separated by `;`, labels as key=value) or a YAML list of mappings with those keys. Every row ' +
        'is checked first: one bad row and nothing is imported, each bad row reported by its line.',
    )
    .argument('<file>', 'a .csv, .yaml or .yml file')
    .addOption(
      new Option('--format <format>', 'file format (default: from the file name)').choices(['csv', 'yaml']),
    )
    .addOption(actorOption())
    .action(async (file: string, options: { format?: 'csv' | 'yaml'; actor?: string }, command: Command) => {
      const actor = actorOf(options.actor, io);
      const format = options.format ?? formatOf(file);
      const absolute = path.resolve(io.cwd, file);
      let text: string;
      try {
        text = await readFile(absolute, 'utf8');
      } catch (error) {
        throw new CommandError(`${file}: ${message(error)}`, ExitCode.failure);
      }
      await withSession(command, io, async (session) => {
        const parsed = parseImportFile(text, format, new Set(session.config.profiles.map((p) => p.name)));
        if (parsed.problems.length > 0) {
          throw new CommandError(
            `${file}: nothing imported:\n${parsed.problems.map((p) => `${file}:${p.replace(/^line /, '')}`).join('\n')}`,
            ExitCode.failure,
          );
        }
        const lifecycle = await session.lifecycle();
        const report = await lifecycle.syncDeclaredMachines(parsed.machines, actor);
        io.stdout(
          `${file}: ${parsed.machines.length} machine(s): ${report.created} created, ${report.updated} updated, ` +
            `${report.unchanged} unchanged\n`,
        );
        if (report.problems.length > 0) {
          throw new CommandError(report.problems.join('\n'), ExitCode.failure);
        }
      });
    });

  return machines;
}

type Output = 'table' | 'json';

/** Runs `act` on each selected machine, printing one line each; exit 1 when any was refused. */
async function change(
  command: Command,
  io: CliIo,
  names: readonly string[],
  options: SelectOptions,
  act: (
    lifecycle: Awaited<ReturnType<Session['lifecycle']>>,
    machine: Machine,
    actor: string,
  ) => Promise<string>,
): Promise<void> {
  const actor = actorOf(options.actor, io);
  const selection = selectionOf(names, options);
  await withSession(command, io, async (session) => {
    const targets = await found(selectMachines(session.store.inventory, selection));
    if (targets.length === 0) throw new CommandError('no machine matches the selection', ExitCode.failure);
    const lifecycle = await session.lifecycle();
    let refused = 0;
    for (const machine of targets) {
      try {
        io.stdout(`${nameOf(machine)}: ${await act(lifecycle, machine, actor)}\n`);
      } catch (error) {
        if (!(error instanceof LifecycleRefusedError)) throw error;
        refused++;
        io.stderr(`${nameOf(machine)}: refused: ${error.message}\n`);
      }
    }
    if (refused > 0) {
      throw new CommandError(`${refused} of ${targets.length} machine(s) refused`, ExitCode.failure);
    }
  });
}

/** `node01 (52:54:00:12:34:56)`, or the MAC alone for a machine without a host name. */
function nameOf(machine: Machine): string {
  const mac = machine.macs[0] ?? machine.id;
  return machine.hostname === null ? mac : `${machine.hostname} (${mac})`;
}

async function found<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof SelectionError) throw new CommandError(error.message, ExitCode.failure);
    throw error;
  }
}

function selecting(command: Command): Command {
  return command.addOption(labelOption()).addOption(matchOption()).addOption(actorOption());
}

function selectionOf(names: readonly string[], options: { label: string[]; match?: string }): Selection {
  const labels: Record<string, string> = {};
  for (const text of options.label) {
    const [key, value] = parseLabelPair(text);
    labels[key] = value;
  }
  return { names, labels, match: options.match };
}

function labelOption(): Option {
  return new Option('--label <key=value>', 'select machines with this label (repeatable; all must match)')
    .argParser((value: string, previous: string[]) => {
      try {
        parseLabelPair(value);
      } catch (error) {
        throw new InvalidArgumentError(message(error));
      }
      return [...previous, value];
    })
    .default([]);
}

function matchOption(): Option {
  return new Option(
    '--match <pattern>',
    'select machines whose host name, MAC, id or UUID matches this pattern (* and ?, ignoring case)',
  );
}

function actorOption(): Option {
  return new Option('--actor <name>', 'who the audit trail names (default: $USER@host)');
}

function outputOption(): Option {
  return new Option('--output <format>', 'output format').choices(['table', 'json']).default('table');
}

function collectState(value: string, previous: MachineState[]): MachineState[] {
  if (!isOneOf(MACHINE_STATES, value)) throw new InvalidArgumentError(`one of ${MACHINE_STATES.join(', ')}`);
  return [...previous, value];
}

const UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400 };
/** The bounds of install.markTtl (config/schema-provision.ts), in seconds. */
const MIN_TTL = 60;
const MAX_TTL = 7 * 86400;

/** `90m`, `4h`, `1d`, `3600` (seconds) → milliseconds, within install.markTtl's bounds. */
export function parseTtl(text: string): number {
  const m = /^(\d{1,7})([smhd]?)$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * (UNITS[m[2] || 's'] ?? 1) : Number.NaN;
  if (!(seconds >= MIN_TTL && seconds <= MAX_TTL)) {
    throw new InvalidArgumentError('a duration from 60s to 7d, such as 90m, 4h or 1d');
  }
  return seconds * 1000;
}

function formatOf(file: string): 'csv' | 'yaml' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.yaml' || ext === '.yml') return 'yaml';
  throw usage(`${file}: say --format csv or --format yaml (the file name does not tell)`);
}

function usage(text: string): CommandError {
  return new CommandError(text, ExitCode.usage);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
