import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { isApiTokenShape } from '../../api/tokens.js';
import { ExitCode } from '../exit-codes.js';
import { CommandError, type CliIo } from '../io.js';

// Where a client command finds the server and its API token (issue 6 item 3): `--server`/`--token`, else the
// environment, else a small file of the user's. The server's own configuration is never read: a client runs on an
// operator's laptop as well as on the server.

export const SERVER_ENV = 'FLEETBOOT_URL';
export const TOKEN_ENV = 'FLEETBOOT_TOKEN';
/** Where `fleetboot serve` listens when nothing says otherwise (config http.listen 0.0.0.0:8080). */
export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const DEFAULT_TIMEOUT_S = 30;

export interface ClientFlags {
  readonly server?: string | undefined;
  readonly token?: string | undefined;
  readonly timeout?: number | undefined;
}

export interface ClientSettings {
  /** The server's base URL (its /api/v1 is below it), without credentials, query or fragment. */
  readonly server: URL;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  /** Where the server URL came from (`--server`, FLEETBOOT_URL, the file, the default), for error messages. */
  readonly serverSource: string;
}

interface ClientFile {
  readonly path: string;
  readonly server?: string;
  readonly token?: string;
}

/** The client file of this user: XDG_CONFIG_HOME, else ~/.config (XDG Base Directory Specification). */
export function clientFilePath(env: NodeJS.ProcessEnv): string {
  const base =
    env.XDG_CONFIG_HOME !== undefined && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : '';
  const home = env.HOME ?? homedir();
  return path.join(base === '' ? path.join(home, '.config') : base, 'fleetboot', 'client.yaml');
}

/** Flags win over the environment, which wins over the file; a missing token is an error only once one is needed. */
export function resolveClientSettings(flags: ClientFlags, io: CliIo): ClientSettings {
  const file = readClientFile(clientFilePath(io.env));
  const env = (name: string) => (io.env[name] === '' ? undefined : io.env[name]);
  const [serverText, serverSource] = first(
    [flags.server, '--server'],
    [env(SERVER_ENV), SERVER_ENV],
    [file?.server, file?.path ?? ''],
  ) ?? [DEFAULT_SERVER, 'the default'];
  const [token, tokenSource] = first(
    [flags.token, '--token'],
    [env(TOKEN_ENV), TOKEN_ENV],
    [file?.token, file?.path ?? ''],
  ) ?? [undefined, ''];
  // Never echo the token: a typo in it is still most of a secret.
  if (token !== undefined && !isApiTokenShape(token.trim())) {
    throw settingsError(
      `the API token from ${tokenSource} is not a fleetboot API token (fbt_ and 43 characters)`,
    );
  }
  return {
    server: parseServerUrl(serverText, serverSource),
    token: token?.trim(),
    timeoutMs: (flags.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
    serverSource,
  };
}

/** The first value given, with where it came from. */
function first(
  ...candidates: readonly (readonly [string | undefined, string])[]
): readonly [string, string] | undefined {
  for (const [value, source] of candidates) if (value !== undefined) return [value, source];
  return undefined;
}

/**
 * `http://host:8080`, also with a path prefix (behind a reverse proxy) or given as its `/api/v1`. Credentials in
 * the URL are refused: the token goes in the Authorization header, never in a URL that ends up in shell history.
 */
export function parseServerUrl(text: string, source: string): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw settingsError(`${source}: "${text}" is not a URL; give one such as ${DEFAULT_SERVER}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw settingsError(`${source}: the server URL must be http:// or https://`);
  }
  if (url.username !== '' || url.password !== '') {
    throw settingsError(
      `${source}: put no credentials in the server URL; give the token with --token or ${TOKEN_ENV}`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw settingsError(`${source}: the server URL takes no query or fragment`);
  }
  url.pathname = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '') + '/';
  return url;
}

/** The file, if there is one. It must not be readable by others when it holds a token (like ~/.ssh/id_*). */
function readClientFile(file: string): ClientFile | undefined {
  let text: string;
  let mode: number;
  try {
    mode = statSync(file).mode;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw settingsError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  const [problem] = document.errors;
  if (problem !== undefined) {
    const { line, col } = problem.linePos?.[0] ?? { line: 1, col: 1 };
    throw settingsError(`${file}:${line}:${col}: ${problem.message.split('\n')[0] ?? ''}`);
  }
  const contents: unknown = document.contents;
  if (contents === null) return { path: file };
  if (!isMap(contents)) throw settingsError(`${file}:1:1: expected a mapping with server and token`);
  const values: Record<string, string> = {};
  for (const pair of contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    const at = lines.linePos(isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0);
    if (key !== 'server' && key !== 'token') {
      throw settingsError(`${file}:${at.line}:${at.col}: unknown key "${key}" (known: server, token)`);
    }
    if (typeof value !== 'string')
      throw settingsError(`${file}:${at.line}:${at.col}: ${key} must be a string`);
    values[key] = value;
  }
  if (values.token !== undefined && (mode & 0o077) !== 0) {
    throw settingsError(
      `${file} holds an API token but other users may read it (mode ${(mode & 0o777).toString(8)}): ` +
        `chmod 600 ${file}`,
    );
  }
  return { path: file, ...values };
}

function settingsError(message: string): CommandError {
  return new CommandError(message, ExitCode.config);
}
