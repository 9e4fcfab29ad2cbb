import { pino, type Logger as PinoLogger, type DestinationStream, type LevelWithSilent } from 'pino';

/** The logger every subsystem receives. A pino logger: structured JSON, one child per subsystem. */
export type Logger = PinoLogger;

export type LogLevel = LevelWithSilent;

/**
 * Keys whose values never reach a log line (reliability-catalogue S06, I7): password hashes, API and install
 * tokens, database URLs with credentials. Matched at any depth of a logged object.
 */
export const REDACTED_PATHS: readonly string[] = [
  'password',
  'passwordHash',
  'token',
  'installToken',
  'secret',
  'authorization',
  'cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.passwordHash',
  '*.token',
  '*.installToken',
  '*.secret',
  '*.authorization',
  'store.url',
];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Where lines go; standard error by default, so standard output stays free for command results. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'fleetboot' },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** The child logger of one subsystem (`dhcp`, `tftp`, `http`, `store`, …): every line carries `subsystem`. */
export function subsystemLogger(root: Logger, subsystem: string): Logger {
  return root.child({ subsystem });
}
