import { type Ipv4Subnet, subnetContains } from '../values/ipv4.js';
import type { Machine } from './machine.js';
import type { Profile, Rule, Selector } from './profile.js';

// Which profile a machine installs with (design.md §3, issue 5 item 2). Matchbox's rule: the most specific
// matching rule wins, and two rules that are equally specific and can match the same machine are a config error,
// reported at load, so the answer never depends on the order rules were written in.
//
// Specificity, compared step by step until one step decides:
//   1. a rule with a `mac` beats one without (a MAC names one interface of one machine);
//   2. then a rule with a `uuid` beats one without (an SMBIOS UUID names one board, but some firmware ships the
//      same UUID on every board, so it ranks below the MAC);
//   3. then the rule with more constraints beats the one with fewer, counting `arch`, `subnet`, `vendorClass` and
//      each label as one;
//   4. then, between rules constraining the same fields, the narrower one wins: a longer `subnet` prefix or a
//      longer `vendorClass` prefix, and wider in neither (a /24 beats the /16 around it).
// Anything else is a tie.

/** What the current boot says beyond the inventory record. */
export interface BootFacts {
  /** The subnet the machine boots in: its lease's, or the relay's (giaddr). Rules with a `subnet` need it. */
  readonly subnet?: Ipv4Subnet | undefined;
  /** Option 93 of this boot; the machine's recorded arch when absent. */
  readonly arch?: number | null | undefined;
  /** Option 60 of this boot; the machine's recorded vendor class when absent. */
  readonly vendorClass?: string | null | undefined;
}

export interface Resolution {
  readonly profile: Profile;
  /** The rule that matched, if any; for its `unmarked` action and for events. */
  readonly rule: Rule | undefined;
  /** `machine`: the profile assigned to the machine itself; `rule`: the rule's. */
  readonly source: 'machine' | 'rule';
}

/**
 * The profile a machine installs with: the one assigned to it (`fleetboot machines assign`), else the one of the
 * most specific matching rule. A machine assigned a profile the config no longer has resolves to nothing rather
 * than to a rule's profile: installing another OS than the one the operator chose is worse than not installing.
 */
export function resolveProfile(
  machine: Machine,
  facts: BootFacts,
  rules: readonly Rule[],
  profiles: readonly Profile[],
): Resolution | undefined {
  const rule = bestRule(machine, facts, rules);
  const name = machine.profile ?? rule?.profile;
  const profile = name === undefined ? undefined : profiles.find((p) => p.name === name);
  if (profile === undefined) return undefined;
  return { profile, rule, source: machine.profile === null ? 'rule' : 'machine' };
}

/**
 * The most specific rule matching the machine, or undefined. With rules that passed ruleConflicts there is one;
 * with others (never from the loader) the first, in order, of the most specific ones.
 */
export function bestRule(machine: Machine, facts: BootFacts, rules: readonly Rule[]): Rule | undefined {
  const matching = rules.filter((rule) => selectorMatches(rule.selector, machine, facts));
  return matching.find((rule) =>
    matching.every((other) => other === rule || compareSpecificity(rule.selector, other.selector) >= 0),
  );
}

export function selectorMatches(selector: Selector, machine: Machine, facts: BootFacts): boolean {
  const arch = facts.arch ?? machine.arch;
  const vendorClass = facts.vendorClass ?? machine.vendorClass;
  const { mac, uuid, subnet, labels } = selector;
  return (
    (mac === undefined || machine.macs.includes(mac)) &&
    (uuid === undefined || machine.uuid === uuid) &&
    (selector.arch === undefined || arch === selector.arch) &&
    (subnet === undefined || (facts.subnet !== undefined && subnetWithin(facts.subnet, subnet))) &&
    (selector.vendorClass === undefined || (vendorClass?.startsWith(selector.vendorClass) ?? false)) &&
    (labels === undefined || Object.entries(labels).every(([key, value]) => machine.labels[key] === value))
  );
}

/** Positive when `a` is more specific than `b`, negative when less, 0 for a tie (see the top of this file). */
export function compareSpecificity(a: Selector, b: Selector): number {
  const steps = [has(a.mac) - has(b.mac), has(a.uuid) - has(b.uuid), constraintCount(a) - constraintCount(b)];
  const decided = steps.find((step) => step !== 0);
  if (decided !== undefined) return decided;
  if (fieldSet(a) !== fieldSet(b)) return 0;
  const subnet = (a.subnet?.prefixLength ?? 0) - (b.subnet?.prefixLength ?? 0);
  const vendorClass = (a.vendorClass?.length ?? 0) - (b.vendorClass?.length ?? 0);
  if (subnet >= 0 && vendorClass >= 0) return subnet + vendorClass > 0 ? 1 : 0;
  if (subnet <= 0 && vendorClass <= 0) return -1;
  return 0; // narrower in one field, wider in the other
}

/**
 * Whether some machine could match both selectors: false only when they provably exclude each other (different
 * MACs, UUIDs or arches, disjoint subnets, vendor classes neither of which is a prefix of the other, or one
 * label with two values).
 */
export function canOverlap(a: Selector, b: Selector): boolean {
  const differ = <T>(x: T | undefined, y: T | undefined): boolean =>
    x !== undefined && y !== undefined && x !== y;
  if (differ(a.mac, b.mac) || differ(a.uuid, b.uuid) || differ(a.arch, b.arch)) return false;
  if (a.subnet && b.subnet && !subnetWithin(a.subnet, b.subnet) && !subnetWithin(b.subnet, a.subnet))
    return false;
  const [x, y] = [a.vendorClass, b.vendorClass];
  if (x !== undefined && y !== undefined && !x.startsWith(y) && !y.startsWith(x)) return false;
  const labels = b.labels ?? {};
  return Object.entries(a.labels ?? {}).every(
    ([key, value]) => labels[key] === undefined || labels[key] === value,
  );
}

/** Two rules (by index) that are equally specific and can match the same machine. */
export interface RuleConflict {
  readonly first: number;
  readonly second: number;
}

/** Every tie among the rules, each pair once, the earlier rule first. */
export function ruleConflicts(rules: readonly Rule[]): RuleConflict[] {
  const conflicts: RuleConflict[] = [];
  rules.forEach((a, first) => {
    for (let second = first + 1; second < rules.length; second++) {
      const b = rules[second];
      if (b === undefined) continue;
      if (compareSpecificity(a.selector, b.selector) === 0 && canOverlap(a.selector, b.selector)) {
        conflicts.push({ first, second });
      }
    }
  });
  return conflicts;
}

export class RuleConflictError extends Error {
  override readonly name = 'RuleConflictError';
  constructor(readonly conflicts: readonly (readonly [Rule, Rule])[]) {
    super(
      conflicts
        .map(([a, b]) => `rules ${a.name} and ${b.name} are equally specific and can match the same machine`)
        .join('; '),
    );
  }
}

/** Refuses a rule set with a tie (RuleConflictError): for rules that do not come through the config loader. */
export function checkRules(rules: readonly Rule[]): void {
  const conflicts = ruleConflicts(rules).flatMap(({ first, second }) => {
    const [a, b] = [rules[first], rules[second]];
    return a && b ? [[a, b] as const] : [];
  });
  if (conflicts.length > 0) throw new RuleConflictError(conflicts);
}

/** What a selector constrains besides its identity fields, in words: for messages. */
export function describeSelector(selector: Selector): string {
  const parts = [
    selector.mac && `mac ${selector.mac}`,
    selector.uuid && `uuid ${selector.uuid}`,
    selector.arch !== undefined && `arch ${selector.arch}`,
    selector.subnet && `subnet ${selector.subnet.network}/${selector.subnet.prefixLength}`,
    selector.vendorClass !== undefined && `vendorClass ${JSON.stringify(selector.vendorClass)}`,
    ...Object.entries(selector.labels ?? {}).map(([k, v]) => `label ${k}=${v}`),
  ].filter((part): part is string => typeof part === 'string' && part !== '');
  return parts.length === 0 ? 'every machine' : parts.join(', ');
}

function has(value: unknown): number {
  return value === undefined ? 0 : 1;
}

function constraintCount(s: Selector): number {
  return has(s.arch) + has(s.subnet) + has(s.vendorClass) + Object.keys(s.labels ?? {}).length;
}

/** Which fields beyond the identity ones are constrained, label keys included, as one comparable string. */
function fieldSet(s: Selector): string {
  const keys = Object.keys(s.labels ?? {}).sort();
  return [has(s.arch), has(s.subnet), has(s.vendorClass), ...keys.map((k) => `label:${k}`)].join('\n');
}

/** `inner` lies entirely within `outer`. */
function subnetWithin(inner: Ipv4Subnet, outer: Ipv4Subnet): boolean {
  return inner.prefixLength >= outer.prefixLength && subnetContains(outer, inner.network);
}
