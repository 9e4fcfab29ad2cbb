import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  belongsToLab,
  hostNamespace,
  IFNAME_MAX,
  type InterfaceKind,
  interfaceName,
  LAB_ID_LENGTH,
  MAX_INDEX,
  newLabTag,
  parseLabTag,
  switchNamespace,
} from '../../src/lab/names.js';

const KINDS: InterfaceKind[] = ['bridge', 'port', 'end', 'tap'];
const idChar = fc.constantFrom(...Array.from('0123456789abcdefghijklmnopqrstuvwxyz'));
const anyTag = fc
  .array(idChar, { minLength: LAB_ID_LENGTH, maxLength: LAB_ID_LENGTH })
  .map((chars) => parseLabTag(`fbl${chars.join('')}`));

describe('lab names', () => {
  it('makes tags of the prefix and five id characters from the random source', () => {
    const picks = [0, 35, 10, 1, 2];
    expect(newLabTag(() => picks.shift() ?? 0)).toBe('fbl0za12');
  });

  it('keeps clear of the other fleetboot namespaces (fbcap…)', () => {
    fc.assert(fc.property(anyTag, (tag) => !tag.startsWith('fbcap')));
  });

  it('fits every interface name in 15 characters, for any id and index', () => {
    fc.assert(
      fc.property(
        anyTag,
        fc.constantFrom(...KINDS),
        fc.integer({ min: 0, max: MAX_INDEX }),
        (tag, kind, i) => {
          const name = interfaceName(tag, kind, i);
          return name.length <= IFNAME_MAX && name.startsWith(tag);
        },
      ),
    );
    expect(interfaceName(parseLabTag('fblzzzzz'), 'port', MAX_INDEX)).toBe('fblzzzzzp999');
  });

  it('gives each kind and index a distinct interface name', () => {
    const tag = parseLabTag('fbl00000');
    const names = KINDS.flatMap((k) => [0, 1, 10, 99, 999].map((i) => interfaceName(tag, k, i)));
    expect(new Set(names).size).toBe(names.length);
  });

  it('refuses indexes that would not fit', () => {
    const tag = parseLabTag('fbl00000');
    for (const bad of [-1, MAX_INDEX + 1, 1.5, Number.NaN]) {
      expect(() => interfaceName(tag, 'tap', bad)).toThrow(/out of range/);
      expect(() => switchNamespace(tag, bad)).toThrow(/out of range/);
    }
  });

  it('refuses malformed tags', () => {
    for (const bad of ['fbl0000', 'fbl000000', 'fbcap000', 'fblABCDE', 'xyz12345', 'fbl00-00']) {
      expect(() => parseLabTag(bad)).toThrow(/invalid lab tag/);
    }
  });

  it('names namespaces after the lab tag, the switch index or the host name', () => {
    const tag = parseLabTag('fblk3x9q');
    expect(switchNamespace(tag, 0)).toBe('fblk3x9q-sw0');
    expect(hostNamespace(tag, 'client')).toBe('fblk3x9q-client');
    expect(hostNamespace(tag, 'pxe2')).toBe('fblk3x9q-pxe2');
  });

  it('refuses host names that are unsafe or reserved for switches', () => {
    const tag = parseLabTag('fblk3x9q');
    for (const bad of ['', 'Client', '1st', 'a/b', 'a b', 'a-b', 'x'.repeat(17), '../etc']) {
      expect(() => hostNamespace(tag, bad)).toThrow(/invalid lab host name/);
    }
    expect(() => hostNamespace(tag, 'sw0')).toThrow(/reserved/);
    expect(hostNamespace(tag, 'swan')).toBe('fblk3x9q-swan');
  });

  it('recognises only namespaces of the same lab', () => {
    const tag = parseLabTag('fblk3x9q');
    expect(belongsToLab(tag, 'fblk3x9q-sw0')).toBe(true);
    expect(belongsToLab(tag, 'fblk3x9q-')).toBe(false);
    expect(belongsToLab(tag, 'fblk3x9qq-sw0')).toBe(false);
    expect(belongsToLab(tag, 'fblk3x9r-sw0')).toBe(false);
    expect(belongsToLab(tag, 'fbcap-srv')).toBe(false);
    expect(belongsToLab(tag, 'fblk3x9q-a/../x')).toBe(false);
  });
});
