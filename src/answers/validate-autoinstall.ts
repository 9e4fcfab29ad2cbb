import { isMap, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import { CRYPT_HASH_EXPECTED, isCryptHash } from './crypt-hash.js';
import type { AnswerProblem } from './problem.js';

// The top-level keys of subiquity's autoinstall schema, version 1 (subiquity autoinstall-reference).
const AUTOINSTALL_KEYS = new Set([
  'version',
  'interactive-sections',
  'early-commands',
  'locale',
  'refresh-installer',
  'keyboard',
  'source',
  'network',
  'proxy',
  'apt',
  'storage',
  'identity',
  'active-directory',
  'ubuntu-pro',
  'ssh',
  'codecs',
  'drivers',
  'oem',
  'snaps',
  'debconf-selections',
  'packages',
  'kernel',
  'kernel-crash-dumps',
  'timezone',
  'updates',
  'shutdown',
  'late-commands',
  'error-commands',
  'reporting',
  'user-data',
  'zdevs',
]);

type Check = (value: unknown) => string | undefined;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const string: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const stringList: Check = (v) =>
  Array.isArray(v) && v.every((item) => typeof item === 'string') ? undefined : 'must be a list of strings';
// A command is a string for `sh -c`, or a list of arguments.
const commands: Check = (v) =>
  Array.isArray(v) &&
  v.every((c) => typeof c === 'string' || (Array.isArray(c) && c.every((a) => typeof a === 'string')))
    ? undefined
    : 'must be a list of commands (each a string or a list of strings)';
const mapping: Check = (v) => (isRecord(v) ? undefined : 'must be a mapping');

function shape(fields: Readonly<Record<string, Check>>, required: readonly string[] = []): Check {
  return (value) => {
    if (!isRecord(value)) return 'must be a mapping';
    for (const key of required) if (!(key in value)) return `needs ${key}`;
    for (const [key, member] of Object.entries(value)) {
      const check = fields[key];
      if (check === undefined) return `has an unknown key ${key} (known: ${Object.keys(fields).join(', ')})`;
      const problem = check(member);
      if (problem !== undefined) return `${key} ${problem}`;
    }
    return undefined;
  };
}

const passwordHash: Check = (v) =>
  typeof v === 'string' && isCryptHash(v) ? undefined : `must be a password hash (${CRYPT_HASH_EXPECTED})`;

/** The shapes of the keys fleetboot's templates use; the other known keys are only checked to be present. */
const KEY_SHAPES: Readonly<Record<string, Check>> = {
  version: (v) => (v === 1 ? undefined : 'must be 1'),
  locale: string,
  keyboard: shape({ layout: string, variant: string, toggle: (v) => (v === null ? undefined : string(v)) }, [
    'layout',
  ]),
  timezone: string,
  proxy: (v) => (v === null ? undefined : string(v)),
  identity: shape({ hostname: string, username: string, password: passwordHash, realname: string }, [
    'hostname',
    'username',
    'password',
  ]),
  ssh: shape({ 'install-server': boolean, 'authorized-keys': stringList, 'allow-pw': boolean }),
  storage: (v) => {
    if (!isRecord(v)) return 'must be a mapping';
    if (!('layout' in v) && !('config' in v)) return 'needs layout or config';
    if ('layout' in v)
      return shape({ name: string, match: mapping, password: string, 'sizing-policy': string }, ['name'])(
        v.layout,
      );
    return undefined;
  },
  packages: stringList,
  'early-commands': commands,
  'late-commands': commands,
  'error-commands': commands,
  shutdown: (v) => (v === 'reboot' || v === 'poweroff' ? undefined : 'must be reboot or poweroff'),
  apt: mapping,
  reporting: mapping,
  'user-data': mapping,
  network: mapping,
};

function lineOf(doc: Document, counter: LineCounter, key: string): number | undefined {
  const autoinstall = doc.get('autoinstall', true);
  if (!isMap(autoinstall)) return undefined;
  const pair = autoinstall.items.find((item) => (item.key as { value?: unknown } | null)?.value === key);
  const offset = (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
  return offset === undefined ? undefined : counter.linePos(offset).line;
}

/** Parses YAML strictly (unique keys, one document); returns the value or the problems with their lines. */
function parseYamlFile(text: string): {
  doc: Document | undefined;
  counter: LineCounter;
  problems: AnswerProblem[];
} {
  const counter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: counter,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
  });
  const problems = [...doc.errors, ...doc.warnings].map((e) => ({
    line: counter.linePos(e.pos[0]).line,
    message: e.message.split('\n')[0] ?? e.message,
  }));
  return { doc: problems.length === 0 ? doc : undefined, counter, problems };
}

/**
 * A NoCloud `user-data` for subiquity: `#cloud-config` on the first line (cloud-init reads the file as cloud-config
 * only then), valid YAML, an `autoinstall` mapping with `version: 1`, known keys only, and the shape of the keys
 * fleetboot's templates write. Subiquity needs `identity` unless `user-data` creates the users.
 */
export function validateUserData(text: string): AnswerProblem[] {
  if (!text.startsWith('#cloud-config\n'))
    return [{ line: 1, message: 'must start with a #cloud-config line' }];
  const { doc, counter, problems } = parseYamlFile(text);
  if (doc === undefined) return problems;
  const root: unknown = doc.toJS();
  if (!isRecord(root) || !isRecord(root.autoinstall)) {
    return [{ line: undefined, message: 'needs an autoinstall mapping at the top level' }];
  }
  const autoinstall = root.autoinstall;
  const out: AnswerProblem[] = [];
  if (!('version' in autoinstall)) out.push({ line: undefined, message: 'autoinstall needs version: 1' });
  if (!('identity' in autoinstall) && !('user-data' in autoinstall)) {
    out.push({
      line: undefined,
      message: 'autoinstall needs identity (or user-data that creates the users)',
    });
  }
  for (const [key, value] of Object.entries(autoinstall)) {
    const line = lineOf(doc, counter, key);
    if (!AUTOINSTALL_KEYS.has(key)) {
      out.push({ line, message: `autoinstall has an unknown key ${key}` });
      continue;
    }
    const problem = KEY_SHAPES[key]?.(value);
    if (problem !== undefined) out.push({ line, message: `autoinstall.${key} ${problem}` });
  }
  return out;
}

/** A NoCloud `meta-data`: a YAML mapping with an `instance-id` (cloud-init skips the datasource without one). */
export function validateMetaData(text: string): AnswerProblem[] {
  const { doc, problems } = parseYamlFile(text);
  if (doc === undefined) return problems;
  const root: unknown = doc.toJS();
  if (!isRecord(root) || typeof root['instance-id'] !== 'string' || root['instance-id'] === '') {
    return [{ line: undefined, message: 'needs an instance-id string' }];
  }
  return [];
}

/** Any other YAML file of a NoCloud seed (vendor-data, network-config): it must parse. */
export function validateYamlFile(text: string): AnswerProblem[] {
  const { doc, problems } = parseYamlFile(text);
  if (doc !== undefined && isSeq(doc.contents)) return [{ line: undefined, message: 'must be a mapping' }];
  return problems;
}
