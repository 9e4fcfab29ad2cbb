import { LabError } from './errors.js';

/**
 * Names of everything a lab creates. Three constraints shape them:
 * - every name starts with the project prefix, so nothing of ours can be mistaken for the host's and nothing of
 *   the host's is ever touched (teardown also checks the prefix);
 * - a per-lab id, so two labs (two test files in parallel) never collide; `fbl` (fleetboot lab) keeps us apart
 *   from other fleetboot tools that use `fb` too (the DHCP capture namespaces are `fbcap…`);
 * - Linux interface names are at most 15 bytes (IFNAMSIZ 16 with the NUL), so interface names are
 *   tag (8) + kind (1) + index (≤ 3 digits) = at most 12.
 */
export const LAB_PREFIX = 'fbl';
export const LAB_ID_LENGTH = 5;
export const IFNAME_MAX = 15;
/** Largest index of a switch or link in one lab; keeps interface names within IFNAME_MAX (and labs small). */
export const MAX_INDEX = 999;

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
const TAG_PATTERN = new RegExp(`^${LAB_PREFIX}[0-9a-z]{${LAB_ID_LENGTH}}$`);

/** `fbl` + the lab id: the prefix of every namespace, interface and state file of one lab. */
export type LabTag = string & { readonly __labTag: true };

/** Makes a tag from a random source returning integers in [0, n) (injected so tests are deterministic). */
export function newLabTag(randomInt: (n: number) => number): LabTag {
  let id = '';
  for (let i = 0; i < LAB_ID_LENGTH; i += 1) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)] ?? '';
  return parseLabTag(`${LAB_PREFIX}${id}`);
}

export function parseLabTag(text: string): LabTag {
  if (!TAG_PATTERN.test(text)) {
    throw new LabError(
      `invalid lab tag ${JSON.stringify(text)}: expected ${LAB_PREFIX} and ${LAB_ID_LENGTH} of [0-9a-z]`,
    );
  }
  return text as LabTag;
}

/** What an interface is, as one letter in its name: bridge, switch port (veth), host end (veth), tap. */
export type InterfaceKind = 'bridge' | 'port' | 'end' | 'tap';

const KIND_LETTER: Record<InterfaceKind, string> = { bridge: 'b', port: 'p', end: 'e', tap: 't' };

export function interfaceName(tag: LabTag, kind: InterfaceKind, index: number): string {
  checkIndex(index);
  const name = `${tag}${KIND_LETTER[kind]}${index}`;
  // Unreachable with a valid tag and index; kept so a future change to the scheme cannot silently break it.
  if (name.length > IFNAME_MAX) throw new LabError(`interface name ${name} is longer than ${IFNAME_MAX}`);
  return name;
}

export function switchNamespace(tag: LabTag, index: number): string {
  checkIndex(index);
  return `${tag}-sw${index}`;
}

const HOST_NAME = /^[a-z][a-z0-9]{0,15}$/;

/** Host names appear in namespace names (`fbl…-client`), so `ip netns list` reads like the test. */
export function hostNamespace(tag: LabTag, hostName: string): string {
  if (!HOST_NAME.test(hostName)) {
    throw new LabError(
      `invalid lab host name ${JSON.stringify(hostName)}: expected a lower-case letter then up to 15 of [a-z0-9]`,
    );
  }
  if (/^sw\d+$/.test(hostName)) {
    throw new LabError(`lab host name ${JSON.stringify(hostName)} is reserved for switches`);
  }
  return `${tag}-${hostName}`;
}

/** True when a namespace name belongs to the lab with this tag: teardown deletes nothing else. */
export function belongsToLab(tag: LabTag, namespace: string): boolean {
  return namespace.startsWith(`${tag}-`) && namespace.length > tag.length + 1 && !namespace.includes('/');
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX) {
    throw new LabError(`lab index ${index} out of range 0..${MAX_INDEX}`);
  }
}
