import { describe, expect, it } from 'vitest';
import type { Machine, MachineId } from '../../src/inventory/machine.js';
import type { Profile, Rule, Selector } from '../../src/inventory/profile.js';
import {
  canOverlap,
  checkRules,
  compareSpecificity,
  resolveProfile,
  ruleConflicts,
  RuleConflictError,
} from '../../src/inventory/rules.js';
import { parseIpv4Subnet } from '../../src/values/ipv4.js';
import { parseMac } from '../../src/values/mac.js';
import { parseUuid } from '../../src/values/uuid.js';

// Matchbox's rule (design.md §3): the most specific matching rule wins; ties are refused, not ordered.

const MAC = parseMac('52:54:00:00:00:01');
const UUID = parseUuid('4c4c4544-0032-3010-8052-b4c04f4e4432');
const net = (cidr: string) => parseIpv4Subnet(cidr);

const machine: Machine = {
  id: '00000000-0000-4000-8000-000000000001' as MachineId,
  macs: [MAC],
  uuid: UUID,
  arch: 7,
  vendorClass: 'PXEClient:Arch:00007:UNDI:003016',
  hostname: null,
  labels: { rack: 'r12', role: 'web' },
  reservedIp: null,
  profile: null,
  state: 'discovered',
  installMark: null,
  version: 1,
  createdAt: 0,
  updatedAt: 0,
};

const profiles: Profile[] = ['any', 'mac', 'uuid', 'net16', 'net24', 'rack', 'assigned'].map((name) => ({
  name,
  os: 'debian-12-amd64',
  template: 'debian-preseed',
  kernelArgs: '',
  variables: {},
}));
const rule = (name: string, selector: Selector): Rule => ({
  name,
  selector,
  profile: name,
  unmarked: 'local',
});
const facts = { subnet: net('10.0.1.0/24') };

describe('compareSpecificity', () => {
  it.each<[string, Selector, Selector, number]>([
    ['a MAC beats a UUID and everything else', { mac: MAC }, { uuid: UUID, arch: 7, labels: { a: 'b' } }, 1],
    ['a UUID beats any number of other fields', { uuid: UUID }, { arch: 7, subnet: net('10.0.0.0/8') }, 1],
    ['more constraints beat fewer', { arch: 7, labels: { rack: 'r12' } }, { subnet: net('10.0.1.0/24') }, 1],
    ['each label counts', { labels: { a: '1', b: '2' } }, { labels: { a: '1' } }, 1],
    [
      'a narrower subnet beats a wider one',
      { subnet: net('10.0.1.0/24') },
      { subnet: net('10.0.0.0/16') },
      1,
    ],
    ['a longer vendor class prefix wins', { vendorClass: 'PXEClient:Arch:00007' }, { vendorClass: 'PXE' }, 1],
    ['different fields, same count: a tie', { arch: 7 }, { labels: { rack: 'r12' } }, 0],
    [
      'narrower in one field, wider in another: a tie',
      { subnet: net('10.0.1.0/24'), vendorClass: 'P' },
      { subnet: net('10.0.0.0/16'), vendorClass: 'PXEClient' },
      0,
    ],
    ['two empty selectors tie', {}, {}, 0],
  ])('%s', (_, a, b, sign) => {
    expect(Math.sign(compareSpecificity(a, b))).toBe(sign);
    expect(Math.sign(compareSpecificity(b, a))).toBe(-sign || 0);
  });
});

describe('canOverlap', () => {
  it.each<[string, Selector, Selector, boolean]>([
    ['different MACs', { mac: MAC }, { mac: parseMac('52:54:00:00:00:02') }, false],
    ['different arches', { arch: 7 }, { arch: 0 }, false],
    ['disjoint subnets', { subnet: net('10.0.0.0/24') }, { subnet: net('10.0.1.0/24') }, false],
    ['nested subnets', { subnet: net('10.0.0.0/16') }, { subnet: net('10.0.1.0/24') }, true],
    [
      'vendor classes neither a prefix of the other',
      { vendorClass: 'PXEClient' },
      { vendorClass: 'HTTPClient' },
      false,
    ],
    ['a label with two values', { labels: { rack: 'a' } }, { labels: { rack: 'b' } }, false],
    ['different label keys', { labels: { rack: 'a' } }, { labels: { role: 'b' } }, true],
    ['a MAC and a UUID', { mac: MAC }, { uuid: UUID }, true],
  ])('%s: %s', (_, a, b, expected) => {
    expect(canOverlap(a, b)).toBe(expected);
    expect(canOverlap(b, a)).toBe(expected);
  });
});

describe('resolveProfile', () => {
  const rules = [
    rule('any', {}),
    rule('net16', { subnet: net('10.0.0.0/16') }),
    rule('net24', { subnet: net('10.0.1.0/24') }),
    rule('rack', { subnet: net('10.0.0.0/16'), labels: { rack: 'r12' } }),
    rule('uuid', { uuid: UUID }),
    rule('mac', { mac: MAC }),
  ];

  it('picks the most specific matching rule, whatever the order', () => {
    for (const order of [rules, [...rules].reverse()]) {
      expect(resolveProfile(machine, facts, order, profiles)?.rule?.name).toBe('mac');
      expect(
        resolveProfile({ ...machine, macs: [parseMac('52:54:00:00:00:09')] }, facts, order, profiles)?.rule
          ?.name,
      ).toBe('uuid');
      const anonymous = { ...machine, macs: [parseMac('52:54:00:00:00:09')], uuid: null };
      expect(resolveProfile(anonymous, facts, order, profiles)?.rule?.name).toBe('rack');
      expect(resolveProfile({ ...anonymous, labels: {} }, facts, order, profiles)?.rule?.name).toBe('net24');
      expect(
        resolveProfile({ ...anonymous, labels: {} }, { subnet: net('10.0.9.0/24') }, order, profiles)?.rule
          ?.name,
      ).toBe('net16');
      expect(resolveProfile({ ...anonymous, labels: {} }, {}, order, profiles)).toMatchObject({
        profile: { name: 'any' },
        source: 'rule',
      });
    }
  });

  it('prefers the profile assigned to the machine, and refuses to swap a vanished one for a rule’s', () => {
    const assigned = resolveProfile({ ...machine, profile: 'assigned' }, facts, rules, profiles);
    expect(assigned).toMatchObject({
      profile: { name: 'assigned' },
      rule: { name: 'mac' },
      source: 'machine',
    });
    expect(resolveProfile({ ...machine, profile: 'gone' }, facts, rules, profiles)).toBeUndefined();
  });

  it('matches arch and vendor class of this boot before the recorded ones, and nothing without a rule', () => {
    const byArch = [rule('uuid', { arch: 0 })];
    expect(resolveProfile(machine, {}, byArch, profiles)).toBeUndefined();
    expect(resolveProfile(machine, { arch: 0 }, byArch, profiles)?.profile.name).toBe('uuid');
    const byClass = [rule('mac', { vendorClass: 'HTTPClient' })];
    expect(
      resolveProfile(machine, { vendorClass: 'HTTPClient:Arch:00016' }, byClass, profiles)?.rule?.name,
    ).toBe('mac');
    expect(resolveProfile(machine, {}, [], profiles)).toBeUndefined();
  });
});

describe('ruleConflicts and checkRules', () => {
  it('name each tie once and pass rule sets without one', () => {
    const rules = [rule('a', { arch: 7 }), rule('b', { labels: { rack: 'r1' } }), rule('c', { arch: 0 })];
    expect(ruleConflicts(rules)).toEqual([
      { first: 0, second: 1 },
      { first: 1, second: 2 },
    ]);
    expect(() => {
      checkRules(rules);
    }).toThrow(RuleConflictError);
    expect(() => {
      checkRules([rule('a', { arch: 7 }), rule('c', { arch: 0 }), rule('d', {})]);
    }).not.toThrow();
  });
});
