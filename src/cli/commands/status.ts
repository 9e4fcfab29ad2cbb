import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { Static } from 'typebox';
import type { StatusSchema } from '../../api/schemas.js';
import { MACHINE_STATES } from '../../inventory/machine.js';
import { describeCacheSavings } from '../../values/cache-savings.js';
import { parseLabelPair } from '../../values/label.js';
import { type ApiClient, ApiCallError } from '../client/api-client.js';
import { apiCommand, withClient } from '../client/command.js';
import { DEFAULT_RETRIES, followEvents } from '../client/follow.js';
import { fetchEvents, fetchStatus } from '../client/machines.js';
import type { CliIo } from '../io.js';
import { untilStopped } from '../io.js';
import { labelText } from '../machines/view.js';
import { API_COMMANDS, collectLabel } from './machines.js';

// `fleetboot status` (issue 6 item 3): the fleet in one line, `412 installing · 37 queued · 540 installed ·
// 11 failed`, and the package cache's saving when it is on. On a terminal the line stays and is redrawn when the
// fleet changes: every event of the API's event stream asks for the counts again (a few per second at most), and a
// periodic refresh catches what the stream does not say (the cache's counters) or a stream that was lost.

export type Status = Static<typeof StatusSchema>;

/** Events arriving within this long after one another cause one refresh. */
const SETTLE_MS = 250;
const DEFAULT_INTERVAL_S = 10;

interface StatusOptions {
  readonly label: string[];
  readonly follow?: boolean;
  readonly once?: boolean;
  readonly interval: number;
  readonly output: 'text' | 'json';
}

export function registerStatus(program: Command, io: CliIo): void {
  apiCommand(program.command('status'))
    .helpGroup(API_COMMANDS)
    .description(
      'One line of machine counts per install state (`412 installing · 540 installed · 11 failed`), and the ' +
        "package cache's saving when the cache is on. On a terminal the line stays and is redrawn in place as " +
        'machines change, until Ctrl-C; piped, it is printed once, or once per change with --follow.',
    )
    .addOption(
      new Option('--label <key=value>', 'count only machines with this label (repeatable; all must match)')
        .argParser(collectLabel)
        .default([]),
    )
    .option('-f, --follow', 'when piped: print a line each time the counts change, until Ctrl-C')
    .option('--once', 'on a terminal too: print the line once and exit')
    .addOption(
      new Option('--interval <seconds>', 'refresh at least this often while watching')
        .argParser(parseInterval)
        .default(DEFAULT_INTERVAL_S),
    )
    .addOption(
      new Option('--output <format>', 'text, or JSON (GET /api/v1/status; one object per line)')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (options: StatusOptions, command: Command) => {
      const labels = Object.fromEntries(options.label.map((pair) => parseLabelPair(pair)));
      const render = (status: Status) =>
        options.output === 'json' ? JSON.stringify(status) : statusLine(status, labelText(labels));
      const terminal = options.output === 'text' && options.once !== true ? io.terminal : undefined;
      await withClient(command, io, async (client) => {
        const fetch = () => fetchStatus(client, labels);
        if (terminal === undefined && options.follow !== true) {
          io.stdout(`${render(await fetch())}\n`);
          return;
        }
        const drawn = { line: false };
        await watchStatus(
          client,
          io,
          { fetch, render, intervalMs: options.interval * 1000 },
          (line, stale) => {
            if (terminal === undefined) {
              if (stale === undefined) io.stdout(`${line}\n`);
              else io.stderr(`fleetboot: the counts are ${stale}\n`);
              return;
            }
            // Redraw in place: back to the start of the line, clear it, write it cut to the terminal's width.
            const text = stale === undefined ? line : `${line} (${stale})`;
            io.stdout(`\r\x1b[2K${text.slice(0, Math.max(terminal.columns - 1, 20))}`);
            drawn.line = true;
          },
        );
        if (drawn.line) io.stdout('\n');
      });
    });
}

/** `412 installing · 540 installed · 11 failed · cache: 1 upstream copy, 480 served (…)` */
export function statusLine(status: Status, labels = ''): string {
  const counts = MACHINE_STATES.filter((state) => status.machines[state] > 0).map(
    (state) => `${status.machines[state]} ${state}`,
  );
  const parts = [counts.length === 0 ? 'no machines' : counts.join(' · ')];
  if (status.cache !== null) parts.push(`cache: ${describeCacheSavings(status.cache)}`);
  return `${labels === '' ? '' : `${labels}: `}${parts.join(' · ')}`;
}

interface Watch {
  readonly fetch: () => Promise<Status>;
  readonly render: (status: Status) => string;
  readonly intervalMs: number;
}

/**
 * Shows the rendered status when it changes, until Ctrl-C (or io.signal). Refreshes on events (settled over
 * SETTLE_MS) and every `intervalMs`. A refresh that fails leaves the last line shown, marked as not current; the
 * API refusing the token, or more than DEFAULT_RETRIES failures in a row, end the watch with that error.
 */
async function watchStatus(
  client: ApiClient,
  io: CliIo,
  watch: Watch,
  show: (line: string, stale: string | undefined) => void,
): Promise<void> {
  const stopper = untilStopped(io);
  const { signal } = stopper;
  let last = watch.render(
    await watch.fetch().catch((error: unknown) => {
      stopper.dispose();
      throw error;
    }),
  );
  show(last, undefined);
  let failures = 0;
  let running = false;
  let again = false;
  let fail: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  // Raced below; a failure after the watch stopped must not become an unhandled rejection.
  failed.catch(() => undefined);

  const refresh = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      const line = watch.render(await watch.fetch());
      failures = 0;
      if (line !== last) show(line, undefined);
      last = line;
    } catch (error) {
      failures++;
      const refused = error instanceof ApiCallError && [401, 403, 429].includes(error.status);
      if (refused || failures > DEFAULT_RETRIES) fail(error);
      else show(last, `not current: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      running = false;
    }
    if (again && !signal.aborted) {
      again = false;
      await refresh();
    }
  };

  let settle: NodeJS.Timeout | undefined;
  const watching = new AbortController();
  const periodic = setInterval(() => void refresh(), watch.intervalMs);
  const onEvents = (async () => {
    try {
      const [newest] = await fetchEvents(client, { order: 'desc', limit: 1 });
      const following = AbortSignal.any([signal, watching.signal]);
      // Which event does not matter: any one means the counts are read again.
      for await (const _event of followEvents(client, { afterId: newest?.id ?? 0, signal: following })) {
        // At most one refresh per SETTLE_MS however fast events come (a storm must not postpone it forever).
        settle ??= setTimeout(() => {
          settle = undefined;
          void refresh();
        }, SETTLE_MS);
      }
    } catch {
      // The periodic refresh goes on without the stream.
    }
  })();
  const stopped = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener('abort', () => {
      resolve();
    });
  });
  try {
    await Promise.race([stopped, failed]);
  } finally {
    clearInterval(periodic);
    clearTimeout(settle);
    watching.abort();
    stopper.dispose();
    await onEvents;
  }
}

function parseInterval(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 3600)
    throw new InvalidArgumentError('whole seconds from 1 to 3600');
  return n;
}
