import { type Command, InvalidArgumentError, Option } from 'commander';
import { type ApiClient, ApiCallError } from '../client/api-client.js';
import { apiCommand, withClient } from '../client/command.js';
import { DEFAULT_RETRIES, followEvents } from '../client/follow.js';
import { type ApiEvent, apiMachines, fetchEvents, machineCalls } from '../client/machines.js';
import { MAX_LOG_PAGE } from '../../store/types.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo, untilStopped } from '../io.js';
import { findMachine, SelectionError } from '../machines/select.js';
import { iso, printable } from '../machines/view.js';
import { API_COMMANDS } from './machines.js';

// `fleetboot events` (issue 6 item 3): the event log in a terminal, one line per event, and with --follow the
// live timeline over the API's event stream — what tcpdump would have shown of a boot, in fleetboot's words.

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 10_000;
/** Host names remembered per machine id; a long follow over a big fleet does not grow without end. */
const NAME_CACHE = 10_000;

interface EventsOptions {
  readonly machine?: string;
  readonly since?: number;
  readonly limit?: number;
  readonly follow?: boolean;
  readonly output: 'text' | 'json';
  readonly retries: number;
}

export function registerEvents(program: Command, io: CliIo): void {
  apiCommand(program.command('events'))
    .helpGroup(API_COMMANDS)
    .description(
      'Print the event log, one line per event (time, machine, source, what happened, details): the last ' +
        `${DEFAULT_LIMIT} events, or all since --since. With --follow, keep printing events as they happen ` +
        '(reconnecting without a gap when the connection drops) until Ctrl-C.',
    )
    .option('--machine <machine>', "only this machine's events: id, MAC, host name or SMBIOS UUID")
    .addOption(
      new Option(
        '--since <time>',
        'events at or after this time: ISO 8601 (2026-03-01T08:00:00Z) or ago (90s, 10m, 2h, 1d)',
      ).argParser((text: string) => parseSince(text, Date.now())),
    )
    .addOption(
      new Option(
        '--limit <n>',
        `without --since, how many of the latest events to print (default ${DEFAULT_LIMIT})`,
      ).argParser(parseLimit),
    )
    .option('-f, --follow', 'keep printing new events until Ctrl-C')
    .addOption(
      new Option('--output <format>', 'text lines, or JSON lines (one event as the API sends it per line)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .addOption(
      new Option('--retries <n>', 'with --follow, lost connections in a row before giving up')
        .argParser(parseRetries)
        .default(DEFAULT_RETRIES),
    )
    .action(async (options: EventsOptions, command: Command) => {
      if (options.since !== undefined && options.limit !== undefined) {
        throw new CommandError('give --since or --limit, not both', ExitCode.usage);
      }
      await withClient(command, io, async (client) => {
        const machineId =
          options.machine === undefined ? undefined : await machineIdOf(client, options.machine);
        const print = printer(client, io, options.output);
        // Gapless: the newest id is read before the history, so an event appended while the history prints is
        // either in it or after that id, never between the two reads.
        const [newest] =
          options.follow === true ? await fetchEvents(client, { machineId, order: 'desc', limit: 1 }) : [];
        let last = 0;
        for await (const event of history(client, machineId, options)) {
          await print(event);
          last = event.id;
        }
        if (options.follow !== true) return;
        // The stream starts after the last event printed, or after the newest one there was.
        await follow(client, io, print, {
          machineId,
          afterId: Math.max(last, newest?.id ?? 0),
          retries: options.retries,
        });
      });
    });
}

async function machineIdOf(client: ApiClient, name: string): Promise<string> {
  try {
    return (await findMachine(apiMachines(client), name)).id;
  } catch (error) {
    if (error instanceof SelectionError) throw new CommandError(error.message, ExitCode.failure);
    throw error;
  }
}

/** The events to print before following, oldest first: all since --since (a page at a time), or the latest --limit. */
async function* history(
  client: ApiClient,
  machineId: string | undefined,
  options: EventsOptions,
): AsyncGenerator<ApiEvent> {
  if (options.since === undefined) {
    const limit = options.limit ?? DEFAULT_LIMIT;
    const latest: ApiEvent[] = [];
    for (;;) {
      const size = Math.min(limit - latest.length, MAX_LOG_PAGE);
      const page = await fetchEvents(client, {
        machineId,
        order: 'desc',
        limit: size,
        beforeId: latest.at(-1)?.id,
      });
      latest.push(...page);
      if (page.length < size || latest.length >= limit) break;
    }
    yield* latest.reverse();
    return;
  }
  let afterId = 0;
  for (;;) {
    const page = await fetchEvents(client, { machineId, since: options.since, afterId });
    yield* page;
    afterId = page.at(-1)?.id ?? afterId;
    if (page.length < MAX_LOG_PAGE) return;
  }
}

async function follow(
  client: ApiClient,
  io: CliIo,
  print: (event: ApiEvent) => Promise<void>,
  from: { machineId: string | undefined; afterId: number; retries: number },
): Promise<void> {
  const stopper = untilStopped(io);
  try {
    const events = followEvents(client, {
      machineId: from.machineId,
      afterId: from.afterId,
      signal: stopper.signal,
      maxRetries: from.retries,
      onConnect: (again) => {
        io.stderr(
          again ? 'fleetboot: event stream back\n' : 'fleetboot: following the event log (Ctrl-C stops)\n',
        );
      },
      onRetry: (attempt, delayMs, reason) => {
        io.stderr(
          `fleetboot: event stream lost (${reason}); reconnecting in ${(delayMs / 1000).toFixed(1)} s ` +
            `(attempt ${attempt} of ${from.retries})\n`,
        );
      },
      onSkipped: (id, reason) => {
        io.stderr(`fleetboot: event ${id} passed over: ${reason}\n`);
      },
    });
    for await (const event of events) await print(event);
  } finally {
    stopper.dispose();
  }
}

/** Prints one event as a line of text or of JSON; text names the machine by its host name when it has one. */
function printer(client: ApiClient, io: CliIo, output: 'text' | 'json'): (event: ApiEvent) => Promise<void> {
  if (output === 'json') {
    return (event) => {
      io.stdout(`${JSON.stringify(event)}\n`);
      return Promise.resolve();
    };
  }
  const names = new Map<string, string | null>();
  const hostnameOf = async (id: string): Promise<string | null> => {
    const known = names.get(id);
    if (known !== undefined) return known;
    let name: string | null = null;
    try {
      name = (await machineCalls.get(client, id)).hostname;
    } catch (error) {
      // A machine forgotten since: its events stay, under its MAC.
      if (!(error instanceof ApiCallError && error.status === 404)) throw error;
    }
    if (names.size >= NAME_CACHE) names.clear();
    names.set(id, name);
    return name;
  };
  return async (event) => {
    const hostname = event.machineId === null ? null : await hostnameOf(event.machineId);
    io.stdout(`${eventLine(event, hostname)}\n`);
  };
}

/** `2026-03-01T08:00:00.123Z  node01 52:54:00:12:34:56  dhcp  DHCPDISCOVER  xid=0x1a2b arch=7` */
export function eventLine(event: ApiEvent, hostname: string | null): string {
  const who = [hostname, event.mac ?? (hostname === null ? event.machineId : null)].filter((p) => p !== null);
  const details = Object.entries(event.details)
    .map(([key, value]) => `${printable(key)}=${detailText(value)}`)
    .join(' ');
  return [iso(event.at), printable(who.join(' ') || '-'), event.source, printable(event.kind), details]
    .filter((part) => part !== '')
    .join('  ');
}

/** A detail value that reads as one word: no spaces, `=`, quotes, backslashes or control characters. */
// eslint-disable-next-line no-control-regex -- control characters are what makes a value need quoting
const WORD = /^[^\s="\\\u0000-\u001f\u007f-\u009f]+$/;

function detailText(value: unknown): string {
  if (typeof value === 'string') return printable(WORD.test(value) ? value : JSON.stringify(value));
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return printable(JSON.stringify(value));
}

const AGO: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `2026-03-01T08:00:00Z` or `10m` (ago) → epoch milliseconds. */
export function parseSince(text: string, now: number): number {
  const ago = /^(\d{1,6})([smhd])$/.exec(text.trim());
  if (ago !== null) return Math.max(0, now - Number(ago[1]) * (AGO[ago[2] ?? 's'] ?? 1000));
  const at = /^\d{4}-\d\d-\d\d/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at) || at < 0) {
    throw new InvalidArgumentError(
      'an ISO 8601 time such as 2026-03-01T08:00:00Z, or an age such as 10m or 2h',
    );
  }
  return at;
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`1 to ${MAX_LIMIT}`);
  return n;
}

function parseRetries(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 1000) throw new InvalidArgumentError('0 to 1000');
  return n;
}
