/**
 * Exit codes of every `fleetboot` command, stable so scripts and systemd units can act on them
 * (documented in docs/cli.md and in `fleetboot --help`).
 */
export const ExitCode = {
  /** Done, or stopped cleanly on SIGTERM/SIGINT. */
  ok: 0,
  /** A runtime failure: a listener could not start, a machine refused a change, an unexpected error. */
  failure: 1,
  /** The command line was wrong: unknown command or option, missing argument; or the API refused the request. */
  usage: 2,
  /** The configuration is invalid: fleetboot.yaml (every problem printed as file:line:column), or the client's. */
  config: 3,
  /** The store could not be opened or migrated, or the server says its database is unavailable. */
  store: 4,
  /** The API could not be reached (connection refused, timeout), or what answered is not fleetboot's API. */
  unreachable: 5,
  /** The API refused the token: none, unknown or revoked, a role too low for the call, or rate-limited. */
  denied: 6,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0  success (serve, events --follow, status: stopped cleanly on SIGTERM or SIGINT)
  1  runtime failure (a listener could not start, a machine refused a change, an unexpected error)
  2  usage error (unknown command or option; a request the API found malformed)
  3  invalid configuration (fleetboot.yaml: each problem printed as file:line:column; or the client's
     --server, FLEETBOOT_URL, FLEETBOOT_TOKEN, client.yaml)
  4  store unavailable (database unreachable, migration failed; or the API says so)
  5  API unreachable (connection refused, timeout, not a fleetboot API at that URL)
  6  API access denied (no token, unknown or revoked token, role too low, rate-limited)`;
