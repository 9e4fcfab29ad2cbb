// The closed sets of values some keys take. Their own file, so schema.ts (which builds the schema from them) and
// types.ts (which derives the loader's output types from them) both import them without importing each other.

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const DHCP_MODES = ['off', 'full', 'proxy', 'auto'] as const;
export const TFTP_TRANSPORTS = ['native', 'dgram'] as const;
