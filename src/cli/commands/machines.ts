import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { MACHINE_STATES, type MachineState } from '../../inventory/machine.js';
import { isOneOf } from '../../values/guards.js';
import { parseLabelKey, parseLabelPair } from '../../values/label.js';
import { type ApiClient, ApiCallError } from '../client/api-client.js';
import { apiCommand, withClient } from '../client/command.js';
import { isFatal } from '../client/errors.js';
import { apiMachines, machineCalls } from '../client/machines.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';
import { eachInOrder } from '../machines/each.js';
import { parseImportFile } from '../machines/import-file.js';
import { findMachine, type Selection, SelectionError, selectMachines } from '../machines/select.js';
import { actorOf, message, withSession } from '../machines/session.js';
import {
  iso,
  labelText,
  machineDetails,
  machineJson,
  machineName,
  type MachineRecord,
  machineTable,
} from '../machines/view.js';

// `fleetboot machines …` (issue 5 item 3, issue 6 item 3). Listing, showing and every change go through the API
// of a running server, so a change is the lifecycle's (one event, one audit entry under the token's name) and
// the CLI needs no access to the store. `import` (and `render`, machines-render.ts) run on the server itself.

export const API_COMMANDS = 'API commands (talk to a running server; see --server, --token):';
export const SERVER_COMMANDS = 'Server commands (run on the server, against its configuration and store):';

/** Machines changed at once after the first (each-in-order.ts); the server serialises the writes anyway. */
const WIDTH = 8;

interface SelectOptions {
  readonly label: string[];
  readonly match?: string;
}

type Output = 'table' | 'json';

export function registerMachines(program: Command, io: CliIo): Command {
  const machines = program
    .command('machines')
    .description(
      'List, show, label, assign and mark machines for install (over the API of a running server); import ' +
        'and render (on the server).',
    );

  apiCommand(machines.command('list'))
    .helpGroup(API_COMMANDS)
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
        await withClient(command, io, async (client) => {
          const selection = selectionOf([], options);
          const found = await selected(
            selectMachines(apiMachines(client), {
              ...selection,
              // No filter at all lists everything: unlike a change, a listing of every machine is harmless.
              match: selection.match ?? (Object.keys(selection.labels).length === 0 ? '*' : undefined),
              ...(options.state.length === 0 ? {} : { states: options.state }),
            }),
          );
          io.stdout(options.output === 'json' ? json(found.map(machineJson)) : machineTable(found));
        });
      },
    );

  apiCommand(machines.command('show'))
    .helpGroup(API_COMMANDS)
    .description('Show one machine: by id, MAC, host name or SMBIOS UUID.')
    .argument('<machine>', 'id, MAC, host name or SMBIOS UUID')
    .addOption(outputOption())
    .action(async (name: string, options: { output: Output }, command: Command) => {
      await withClient(command, io, async (client) => {
        const machine = await selected(findMachine(apiMachines(client), name));
        io.stdout(options.output === 'json' ? json(machineJson(machine)) : machineDetails(machine));
      });
    });

  selecting(machines.command('label'))
    .description(
      "Set or remove labels of machines (each machine's other labels stay). Select machines by name, or with " +
        '--label and --match as the other commands do.',
    )
    .argument('[machines...]', 'ids, MACs, host names or SMBIOS UUIDs')
    .addOption(
      new Option('--set <key=value>', 'set this label (repeatable)').argParser(collectLabel).default([]),
    )
    .addOption(
      new Option('--unset <key>', 'remove this label (repeatable)').argParser(collectKey).default([]),
    )
    .action(
      async (
        names: string[],
        options: SelectOptions & { set: string[]; unset: string[] },
        command: Command,
      ) => {
        if (options.set.length === 0 && options.unset.length === 0)
          throw usage('label needs --set or --unset');
        const set = Object.fromEntries(options.set.map((pair) => parseLabelPair(pair)));
        await change(command, io, names, options, async (client, machine) => {
          const labelled = await relabel(client, machine, (labels) => ({
            ...Object.fromEntries(Object.entries(labels).filter(([key]) => !options.unset.includes(key))),
            ...set,
          }));
          return `labels ${labelText(labelled.labels) || '(none)'}`;
        });
      },
    );

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
        await change(command, io, targets, options, async (client, machine) => {
          const m = await machineCalls.assign(client, machine.id, clear ? null : (profile ?? null));
          return `profile ${m.profile ?? 'cleared'}, ${m.state}`;
        });
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
        await change(command, io, names, options, async (client, machine) => {
          // The install token goes into the machine's boot config only; the API never sends it (catalogue S04).
          const marked = await machineCalls.mark(client, machine.id, reinstall, options.ttl);
          return `${marked.state}, mark expires ${iso(marked.installMark?.expiresAt ?? 0)}`;
        });
      });
  }

  selecting(machines.command('cancel'))
    .description('Remove the install mark of machines (queued → ready; installing → failed).')
    .argument('[machines...]', 'ids, MACs, host names or SMBIOS UUIDs')
    .action(async (names: string[], options: SelectOptions, command: Command) => {
      await change(command, io, names, options, async (client, machine) => {
        const m = await machineCalls.cancel(client, machine.id);
        return `mark canceled, ${m.state}`;
      });
    });

  apiCommand(machines.command('capture'))
    .helpGroup(API_COMMANDS)
    .description(
      "Save a machine's boot signalling (its DHCP and TFTP packets, DATA blocks summarised) as a pcap file for " +
        'Wireshark, tshark or tcpdump -r.',
    )
    .argument('<machine>', 'id, MAC, host name or SMBIOS UUID')
    .requiredOption('-o, --output-file <file>', 'where to write the pcap file (replaced if it exists)')
    .action(async (name: string, options: { outputFile: string }, command: Command) => {
      await withClient(command, io, async (client) => {
        const machine = await selected(findMachine(apiMachines(client), name));
        const pcap = await machineCalls.capture(client, machine.id);
        await writeWhole(path.resolve(io.cwd, options.outputFile), pcap);
        io.stderr(
          `${machineName(machine)}: ${String(pcap.length)} bytes of capture written to ${options.outputFile}\n`,
        );
      });
    });

  apiCommand(machines.command('forget'))
    .helpGroup(API_COMMANDS)
    .description(
      'Remove machines from the inventory (their events stay). Refused while marked for install; needs an ' +
        'admin token. Only machines named one by one.',
    )
    .argument('<machines...>', 'ids, MACs, host names or SMBIOS UUIDs')
    .action(async (names: string[], _options: unknown, command: Command) => {
      await change(command, io, names, { label: [] }, async (client, machine) => {
        await machineCalls.forget(client, machine.id);
        return 'forgotten';
      });
    });

  machines
    .command('import')
    .helpGroup(SERVER_COMMANDS)
    .description(
      'Add or update machines from a CSV file (header row of mac, uuid, hostname, labels, profile; several MACs ' +
        'and labels separated by `;`, labels as key=value) or a YAML list of mappings with those keys. Every row ' +
        'is checked first: one bad row and nothing is imported, each bad row reported by its line. Runs on the ' +
        "server, against its configuration (--config) and store, as fleetboot.yaml's own machines: are.",
    )
    .argument('<file>', 'a .csv, .yaml or .yml file')
    .addOption(
      new Option('--format <format>', 'file format (default: from the file name)').choices(['csv', 'yaml']),
    )
    .addOption(new Option('--actor <name>', 'who the audit trail names (default: $USER@host)'))
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

/**
 * Runs `act` on each selected machine, printing one line each (refusals on standard error); exit 1 when any was
 * refused. An error that is not about one machine (denied, unreachable, the store down) stops it.
 */
async function change(
  command: Command,
  io: CliIo,
  names: readonly string[],
  options: SelectOptions,
  act: (client: ApiClient, machine: MachineRecord) => Promise<string>,
): Promise<void> {
  const selection = selectionOf(names, options);
  await withClient(command, io, async (client) => {
    const targets = await selected(selectMachines(apiMachines(client), selection));
    if (targets.length === 0) throw new CommandError('no machine matches the selection', ExitCode.failure);
    let refused = 0;
    const { attempted, fatal } = await eachInOrder(
      targets,
      { width: WIDTH, isFatal },
      (machine) => act(client, machine),
      (machine, outcome) => {
        if (outcome.ok) {
          io.stdout(`${machineName(machine)}: ${outcome.value}\n`);
        } else if (!isFatal(outcome.error)) {
          refused++;
          io.stderr(`${machineName(machine)}: refused: ${message(outcome.error)}\n`);
        }
      },
    );
    if (fatal !== undefined) {
      if (attempted < targets.length || targets.length > 1) {
        io.stderr(`fleetboot: stopped after ${attempted} of ${targets.length} machine(s)\n`);
      }
      throw fatal;
    }
    if (refused > 0) {
      throw new CommandError(`${refused} of ${targets.length} machine(s) refused`, ExitCode.failure);
    }
  });
}

/** Replaces a machine's labels with `update(current)`, reading it again if it changed meanwhile (409). */
async function relabel(
  client: ApiClient,
  machine: MachineRecord,
  update: (labels: MachineRecord['labels']) => Record<string, string>,
): Promise<MachineRecord> {
  let current = machine;
  for (let attempt = 1; ; attempt++) {
    try {
      return await machineCalls.setLabels(client, current.id, update(current.labels), current.version);
    } catch (error) {
      const conflict = error instanceof ApiCallError && error.code === 'FLEETBOOT_MACHINE_CONFLICT';
      if (!conflict || attempt === 3) throw error;
      current = await machineCalls.get(client, current.id);
    }
  }
}

async function selected<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof SelectionError) throw new CommandError(error.message, ExitCode.failure);
    throw error;
  }
}

/** A command that acts on a selection of machines over the API. */
function selecting(command: Command): Command {
  return apiCommand(command).helpGroup(API_COMMANDS).addOption(labelOption()).addOption(matchOption());
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
    .argParser(collectLabel)
    .default([]);
}

export function collectLabel(value: string, previous: string[]): string[] {
  try {
    parseLabelPair(value);
  } catch (error) {
    throw new InvalidArgumentError(message(error));
  }
  return [...previous, value];
}

function collectKey(value: string, previous: string[]): string[] {
  try {
    parseLabelKey(value);
  } catch (error) {
    throw new InvalidArgumentError(message(error));
  }
  return [...previous, value];
}

function matchOption(): Option {
  return new Option(
    '--match <pattern>',
    'select machines whose host name, MAC, id or UUID matches this pattern (* and ?, ignoring case)',
  );
}

export function outputOption(): Option {
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

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Written beside the target and renamed over it: a reader never sees half a file, a failure leaves none. */
async function writeWhole(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${String(process.pid)}.tmp`);
  try {
    await writeFile(temporary, bytes, { flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new CommandError(`cannot write ${file}: ${(error as Error).message}`, ExitCode.failure);
  }
}
