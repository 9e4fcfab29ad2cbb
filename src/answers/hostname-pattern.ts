import type { Machine } from '../inventory/machine.js';
import { parseHostname } from '../values/hostname.js';

/** What a machine without a hostname of its own is called when its profile gives no hostnamePattern. */
export const DEFAULT_HOSTNAME_PATTERN = 'node-{mac}';

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * A profile's hostname pattern for one machine: `{mac}` is its first MAC as 12 hex digits, `{id}` the first 8
 * characters of its inventory id, `{labels.NAME}` the value of one of its labels. The result must be an RFC 1123
 * host name (values/hostname.ts), so a label value such as `r 12` fails here, before any file is written.
 * Throws an Error whose message says which part failed.
 */
export function expandHostnamePattern(pattern: string, machine: Machine): string {
  const expanded = pattern.replace(PLACEHOLDER, (_match, name: string) => {
    if (name === 'mac') return (machine.macs[0] ?? '').replaceAll(':', '');
    if (name === 'id') return machine.id.slice(0, 8);
    if (name.startsWith('labels.')) {
      const label = name.slice('labels.'.length);
      const value = Object.hasOwn(machine.labels, label) ? machine.labels[label] : undefined;
      if (value === undefined)
        throw new Error(`names label ${JSON.stringify(label)}, which the machine has not`);
      return value;
    }
    throw new Error(`has an unknown placeholder {${name}}: expected {mac}, {id} or {labels.NAME}`);
  });
  return parseHostname(expanded);
}
