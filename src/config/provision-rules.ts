import { jsonProblem } from '../inventory/json.js';
import type { Rule } from '../inventory/profile.js';
import { describeSelector, ruleConflicts } from '../inventory/rules.js';
import { InvalidValueError } from '../values/brand.js';
import { isRecord } from '../values/guards.js';
import { parseHostname } from '../values/hostname.js';
import { parseLabelKey } from '../values/label.js';
import { parseMac } from '../values/mac.js';
import { buildSelector } from './build-provision.js';
import type { ConfigPath } from './diagnostics.js';
import { formatPath } from './diagnostics.js';
import type { RuleProblem } from './rules.js';
import { validItems } from './schema-parts.js';
import {
  DeclaredMachineSchema,
  ProfileSchema,
  type RawDeclaredMachine,
  type RawRule,
  RuleSchema,
} from './schema-provision.js';
import { suggest } from './suggest.js';

// Rules across the provisioning keys (issue 5 item 2): names unique, every profile named exists, declared machines
// do not share a MAC, host name or address, and no two rules tie (src/inventory/rules.ts). Like config/rules.ts,
// each check looks only at the items that passed the schema; the others already have an error each.

export function checkProvisioning(root: Record<string, unknown>): RuleProblem[] {
  const profiles = validItems(ProfileSchema, root.profiles);
  const names = new Set(profiles.map(({ item }) => item.name));
  return [
    ...duplicates(profiles, 'profiles', (p) => p.name, 'name', 'each profile needs its own name'),
    ...profiles.flatMap(({ index, item }) =>
      variablesProblem(item.variables, ['profiles', index, 'variables']),
    ),
    ...checkRuleList(validItems(RuleSchema, root.rules), names),
    ...labelKeyProblems(root, 'rules', (rule) => asRecord(asRecord(rule).match).labels, ['match', 'labels']),
    ...labelKeyProblems(root, 'machines', (machine) => asRecord(machine).labels, ['labels']),
    ...checkMachines(validItems(DeclaredMachineSchema, root.machines), names),
  ];
}

function checkRuleList(
  rules: readonly { index: number; item: RawRule }[],
  profiles: ReadonlySet<string>,
): RuleProblem[] {
  const problems: RuleProblem[] = [
    ...duplicates(
      rules.filter(({ item }) => item.name !== undefined),
      'rules',
      (r) => r.name ?? '',
      'name',
      'each rule needs its own name: events and messages name the rule that matched',
    ),
    ...rules.flatMap(({ index, item }) =>
      unknownProfile(item.profile, profiles, ['rules', index, 'profile']),
    ),
  ];
  const built: Rule[] = rules.map(({ index, item }) => ({
    name: item.name === undefined ? `rules[${index}]` : `rules[${index}] (${item.name})`,
    selector: buildSelector(item.match),
    profile: item.profile,
    unmarked: 'local',
  }));
  for (const { first, second } of ruleConflicts(built)) {
    const [a, b] = [built[first], built[second]];
    const at = rules[second]?.index;
    if (a === undefined || b === undefined || at === undefined) continue;
    problems.push({
      path: ['rules', at, 'match'],
      at: [
        ['rules', at, 'match'],
        ['rules', at],
      ],
      message:
        `${b.name} and ${a.name} are equally specific and can match the same machine ` +
        `(${describeSelector(b.selector)} / ${describeSelector(a.selector)})`,
      hint:
        'the most specific rule wins: a MAC beats a UUID, which beats neither; then more constraints (arch, ' +
        'subnet, vendorClass, each label) beat fewer; then a narrower subnet or vendorClass prefix. Make one ' +
        'more specific, or make them exclude each other (different labels, disjoint subnets)',
    });
  }
  return problems;
}

function checkMachines(
  machines: readonly { index: number; item: RawDeclaredMachine }[],
  profiles: ReadonlySet<string>,
): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const macs = new Map<string, ConfigPath>();
  for (const { index, item } of machines) {
    item.macs.forEach((text, i) => {
      const mac = parseMac(text);
      const path: ConfigPath = ['machines', index, 'macs', i];
      const first = macs.get(mac);
      if (first === undefined) macs.set(mac, path);
      else
        problems.push({
          path,
          message: `${mac} is already listed at ${formatPath(first)}`,
          hint: 'a MAC belongs to one interface of one machine',
        });
    });
    if (item.profile !== undefined) {
      problems.push(...unknownProfile(item.profile, profiles, ['machines', index, 'profile']));
    }
  }
  const hostnamed = machines.filter(({ item }) => item.hostname !== undefined);
  problems.push(
    ...duplicates(
      hostnamed,
      'machines',
      (m) => parseHostname(m.hostname ?? ''),
      'hostname',
      'two machines cannot share a host name',
    ),
    ...duplicates(
      machines.filter(({ item }) => item.reservedIp !== undefined),
      'machines',
      (m) => m.reservedIp ?? '',
      'reservedIp',
      'two machines cannot share an address',
    ),
  );
  return problems;
}

function labelKeyProblems(
  root: Record<string, unknown>,
  name: string,
  labelsOf: (item: unknown) => unknown,
  at: ConfigPath,
): RuleProblem[] {
  const list = root[name];
  if (!Array.isArray(list)) return [];
  return list.flatMap((item: unknown, index) =>
    Object.keys(asRecord(labelsOf(item))).flatMap((key): RuleProblem[] => {
      try {
        parseLabelKey(key);
        return [];
      } catch (error) {
        if (!(error instanceof InvalidValueError)) throw error;
        return [{ path: [name, index, ...at, key], message: `expected ${error.expected}` }];
      }
    }),
  );
}

function asRecord(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function unknownProfile(name: string, profiles: ReadonlySet<string>, path: ConfigPath): RuleProblem[] {
  if (profiles.has(name)) return [];
  const guess = suggest(name, [...profiles]);
  const known = profiles.size === 0 ? 'no profile is defined' : `profiles: ${[...profiles].join(', ')}`;
  return [
    {
      path,
      message: `no profile is named "${name}"`,
      hint: guess === undefined ? `${known}; add it under profiles` : `did you mean \`${guess}\`?`,
    },
  ];
}

function variablesProblem(variables: Record<string, unknown>, path: ConfigPath): RuleProblem[] {
  const problem = jsonProblem(variables);
  if (problem === undefined) return [];
  return [
    {
      path,
      message: `must be JSON: ${problem.replace(/^\$/, 'variables')}`,
      hint: 'templates read the variables as JSON values: strings, numbers, booleans, lists and mappings',
    },
  ];
}

/** One problem per item whose key (by `keyOf`) an earlier item already has. */
function duplicates<T>(
  items: readonly { index: number; item: T }[],
  list: string,
  keyOf: (item: T) => string,
  field: string,
  hint: string,
): RuleProblem[] {
  const seen = new Map<string, number>();
  const problems: RuleProblem[] = [];
  for (const { index, item } of items) {
    const key = keyOf(item);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else
      problems.push({
        path: [list, index, field],
        message: `"${key}" is already used by ${formatPath([list, first])}`,
        hint,
      });
  }
  return problems;
}
