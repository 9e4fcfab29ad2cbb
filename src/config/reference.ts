import Type, { type TSchema } from 'typebox';
import { MAX_USABLE_PREFIX_LENGTH } from '../values/ipv4.js';
import { envVariableName, NON_CONFIG_ENV } from './env.js';
import { kindByFormat } from './kinds.js';
import { ConfigSchema } from './schema.js';
import { defaultOf, descriptionOf, keyword, propertiesOf, scalarTypeOf } from './schema-walk.js';

// docs/configuration.md, generated from the schema by scripts/gen-config-reference.ts. A test compares the
// committed file with a fresh rendering, so the reference cannot drift from what the loader accepts.

interface Section {
  readonly title: string;
  /** Prefix of the keys in the table, such as `dhcp.subnets[].`. */
  readonly prefix: string;
  readonly schema: TSchema;
  /** Keys inside a list cannot be set from the environment. */
  readonly inList: boolean;
  /** Path of keys from the top, for environment variable names. */
  readonly path: readonly string[];
}

export function renderConfigReference(): string {
  return [INTRO, ...sections(ConfigSchema).map(renderSection), RULES, renderEnvironment()].join('\n');
}

function sections(root: TSchema): Section[] {
  const result: Section[] = [{ title: 'Top level', prefix: '', schema: root, inList: false, path: [] }];
  const visit = (schema: TSchema, prefix: string, path: readonly string[], inList: boolean): void => {
    for (const [key, child] of Object.entries(propertiesOf(schema))) {
      if (Type.IsObject(child)) {
        const title = `${prefix}${key}`;
        result.push({ title, prefix: `${title}.`, schema: child, inList, path: [...path, key] });
        visit(child, `${title}.`, [...path, key], inList);
      } else if (Type.IsArray(child) && Type.IsObject(child.items)) {
        const title = `${prefix}${key}[]`;
        result.push({ title, prefix: `${title}.`, schema: child.items, inList: true, path: [...path, key] });
        visit(child.items, `${title}.`, [...path, key], true);
      }
    }
  };
  visit(root, '', [], false);
  return result;
}

function renderSection(section: Section): string {
  const rows = Object.entries(propertiesOf(section.schema))
    .filter(([, child]) => !Type.IsObject(child))
    .map(([key, child]) => {
      const env =
        section.inList || scalarTypeOf(child) === undefined
          ? '—'
          : `\`${envVariableName([...section.path, key])}\``;
      return `| \`${section.prefix}${key}\` | ${typeName(child)} | ${defaultText(child)} | ${env} | ${cell(descriptionOf(child) ?? '')} |`;
    });
  const description = section.path.length === 0 ? '' : `${descriptionOf(section.schema) ?? ''}\n\n`;
  return [
    `## ${section.title}`,
    '',
    `${description}| Key | Type | Default | Environment | Description |`,
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function typeName(schema: TSchema): string {
  const kind = kindByFormat(keyword(schema, 'format'));
  if (kind !== undefined) return kind.label;
  if (Type.IsInteger(schema)) {
    const min = keyword(schema, 'minimum');
    const max = keyword(schema, 'maximum');
    if (typeof min === 'number' && typeof max === 'number') return `integer ${min}–${max}`;
    return typeof min === 'number' ? `integer ≥ ${min}` : 'integer';
  }
  if (Type.IsBoolean(schema)) return 'boolean';
  if (Type.IsRecord(schema)) return 'mapping';
  if (Type.IsEnum(schema)) return schema.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (Type.IsString(schema)) return 'string';
  if (Type.IsArray(schema)) {
    if (Type.IsObject(schema.items)) return 'list of mappings (below)';
    return `${typeName(schema.items)} list`;
  }
  return 'value';
}

function defaultText(schema: TSchema): string {
  const found = defaultOf(schema);
  if (found !== undefined) return `\`${JSON.stringify(found.value).replace(/^"(.*)"$/, '$1')}\``;
  return Type.IsOptional(schema) ? 'not set' : '**required**';
}

/** Markdown table cells cannot hold `|` or line breaks. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function renderEnvironment(): string {
  const rows = Object.entries(NON_CONFIG_ENV).map(([name, use]) => `| \`${name}\` | ${cell(use)} |`);
  return [
    '## Environment variables that are not settings',
    '',
    'Any other variable starting with `FLEETBOOT_` is an error, so that a misspelt override cannot be ignored.',
    '',
    '| Variable | Used for |',
    '| --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

const INTRO = `# Configuration reference

<!-- Generated from src/config/schema.ts by \`npm run docs:config\`. Do not edit: a test fails when this file
and the schema disagree. -->

fleetboot reads one YAML file, \`fleetboot.yaml\`. Every key has a default, and with no file at all fleetboot runs
on the defaults, which are harmless on any network: HTTP and TFTP come up, DHCP stays off.

- \`fleetboot init\` writes a commented starter file for the interface facing the machines to install.
- \`fleetboot config check\` loads the file as \`fleetboot serve\` would and prints every problem at once.
- \`fleetboot config schema\` prints the JSON Schema, for completion and checking in editors; with the YAML
  language server, put \`# yaml-language-server: $schema=<file>\` at the top of fleetboot.yaml.

Rules that apply to every key:

- A key written with nothing after it (\`tftp:\` with all its lines commented out) takes its default.
- A relative path is relative to the directory of fleetboot.yaml; in an environment variable, or with no file,
  to the working directory. The exception is a \`sqlite:<file>\` store, which is relative to \`dataDir\`.
- Unknown keys are errors (with a suggestion for the likely typo), never ignored.
- Each problem is reported as \`file:line:column: key: what is wrong\`, followed by a hint:

  \`\`\`text
  fleetboot.yaml:3:14: tftp.blocksize: expected an integer from 512 to 65464, got "big"
      hint: Largest block size (RFC 2348 \`blksize\`) granted to a client that asks for one. …
  \`\`\`

## Environment variables

Each setting in the Environment column can be set by that variable, which wins over the file. Levels are
separated by a double underscore and each level is the key in upper case with \`_\` between words:
\`FLEETBOOT_TFTP__MAX_TRANSFERS=200\` sets \`tftp.maxTransfers\`. Values are read as the key's type: integers,
booleans (\`true\`/\`false\`, \`1\`/\`0\`, \`yes\`/\`no\`, \`on\`/\`off\`), and lists as comma-separated items
(\`FLEETBOOT_DHCP__INTERFACES=eth1,eth2\`). Problems name the variable instead of a line:
\`env FLEETBOOT_TFTP__BLOCKSIZE: tftp.blocksize: expected …\`. Lists of mappings (\`dhcp.subnets\`) can only be
written in the file.
`;

const RULES = `## Rules across keys

Besides each key's own type, the loader checks:

- \`dhcp.mode\` \`proxy\`, \`full\` or \`auto\` needs at least one interface in \`dhcp.interfaces\`: fleetboot never
  answers DHCP on an interface the operator did not name.
- \`dhcp.mode\` \`full\` or \`auto\` needs at least one subnet in \`dhcp.subnets\`.
- Subnets do not overlap; each has a prefix length of ${MAX_USABLE_PREFIX_LENGTH} or less.
- Pools, the router and reservations lie inside their subnet and are host addresses (not the network or broadcast
  address); a pool's \`start\` is not after its \`end\`; pools do not overlap.
- The router and reservations lie outside the pools: an address in a pool can be leased to another machine.
- Within a subnet, each MAC and each address is reserved at most once.
- \`renewalTime\` < \`rebindingTime\` < \`leaseTime\`, counting the defaults of RFC 2131 §4.4.5 (0.5 and 0.875 ×
  \`leaseTime\`) for the ones not written.
- \`tftp.maxPerClient\` is at most \`tftp.maxTransfers\`.
- Profile names and rule names are unique; every \`profile\` a rule or a machine names is one of \`profiles\`.
- Declared \`machines\` do not share a MAC, a host name or a \`reservedIp\`. Label keys are 1 to 63 letters,
  digits, \`.\`, \`_\`, \`/\` or \`-\`, starting and ending with a letter or digit.
- A machine installs with the profile assigned to it (\`machines[].profile\`, \`fleetboot machines assign\`), else
  with the profile of the **most specific** rule that matches it (Matchbox's rule). Specificity is compared step
  by step until one step decides: (1) a rule with a \`mac\` beats one without; (2) then a rule with a \`uuid\` beats
  one without; (3) then more constraints beat fewer, counting \`arch\`, \`subnet\`, \`vendorClass\` and each label as
  one; (4) then, between rules constraining the same fields, the narrower one wins: a longer \`subnet\` prefix or a
  longer \`vendorClass\` prefix, and wider in neither. Two rules that no step separates and that can match the
  same machine (they do not differ in \`mac\`, \`uuid\`, \`arch\` or a label's value, their subnets overlap, and one
  vendor class is a prefix of the other) are an error naming both, so the result never depends on rule order.
`;
