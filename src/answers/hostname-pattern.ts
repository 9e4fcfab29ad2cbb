import type { Machine } from '../inventory/machine.js';
import { parseHostname } from '../values/hostname.js';

/** What a machine without a hostname of its own is called when its profile gives no hostnamePattern. */
export const DEFAULT_HOSTNAME_PATTERN = 'node-{mac}';

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * A profile's hostname pattern for one machine: `{mac}` is its first MAC as 12 hex digits, `{id}` 8 hex digits of
 * its inventory id (idPart), `{labels.NAME}` the value of one of its labels. The result must be an RFC 1123
 * host name (values/hostname.ts), so a label value such as `r 12` fails here, before any file is written.
 * Throws an Error whose message says which part failed.
 */
export function expandHostnamePattern(pattern: string, machine: Machine): string {
  const expanded = pattern.replace(PLACEHOLDER, (_match, name: string) => {
    if (name === 'mac') return (machine.macs[0] ?? '').replaceAll(':', '');
    if (name === 'id') return idPart(machine.id);
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

/**
 * 8 hex digits of a machine id that differ between machines: the last 8 of a time-ordered (version 7) id, whose
 * first 8 are the top of its millisecond timestamp and so the same for every machine enrolled within a minute
 * (RFC 9562 §5.7; the last 8 are random); the first 8 of an older random (version 4) id, as before, so a machine
 * enrolled then keeps its name.
 */
function idPart(id: string): string {
  return id.charAt(14) === '7' ? id.slice(-8) : id.slice(0, 8);
}
