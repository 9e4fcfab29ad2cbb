/**
 * Exit codes of every `fleetboot` command, stable so scripts and systemd units can act on them
 * (documented in docs/cli.md and in `fleetboot --help`).
 */
export const ExitCode = {
  /** Done, or stopped cleanly on SIGTERM/SIGINT. */
  ok: 0,
  /** A runtime failure: a listener could not start, an unexpected error. */
  failure: 1,
  /** The command line was wrong: unknown command or option, missing argument. */
  usage: 2,
  /** The configuration is invalid: every problem was printed as file:line:column. */
  config: 3,
  /** The store could not be opened or migrated (database unreachable, wrong credentials, disk full). */
  store: 4,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0  success (serve: stopped cleanly on SIGTERM or SIGINT)
  1  runtime failure (a listener could not start, an unexpected error)
  2  usage error (unknown command or option)
  3  invalid configuration (each problem printed as file:line:column)
  4  store unavailable (database unreachable, migration failed)`;
