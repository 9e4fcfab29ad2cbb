/** What a command may touch of the outside world, passed in so tests run commands in-process. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Set when standard output is a terminal: `fleetboot status` redraws its line in place there. */
  readonly terminal?: { readonly columns: number } | undefined;
  /** Stops a command that follows (events --follow, status), as SIGINT or SIGTERM do; for tests in-process. */
  readonly signal?: AbortSignal | undefined;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  get terminal() {
    return process.stdout.isTTY ? { columns: process.stdout.columns } : undefined;
  },
};

/** A command's failure that carries its exit code and a message for the operator (no stack trace). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * A signal that aborts on SIGINT or SIGTERM (or `io.signal`), for a command that runs until stopped; `dispose`
 * removes the handlers, so a command that ends by itself leaves Ctrl-C as it found it.
 */
export function untilStopped(io: CliIo): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const stop = (): void => {
    controller.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  io.signal?.addEventListener('abort', stop, { once: true });
  if (io.signal?.aborted === true) stop();
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.signal?.removeEventListener('abort', stop);
    },
  };
}
