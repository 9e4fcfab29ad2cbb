// Profiles and rules, as the configuration defines them (read-only: they change with fleetboot.yaml). Profile
// variables are redacted (redact-variables.ts): password hashes and secret-named values never leave the server.
import type { Profile, Rule } from '../../inventory/profile.js';
import { formatSubnet } from '../../values/ipv4.js';
import { redactVariables } from '../redact-variables.js';
import { defineRoute, type AnyRoute } from '../route.js';
import { ProfileListSchema, RuleListSchema } from '../schemas.js';

export function configRoutes(profiles: readonly Profile[], rules: readonly Rule[]): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/profiles',
      operationId: 'listProfiles',
      summary: 'The configured profiles; secret values and password hashes shown as ***.',
      tag: 'config',
      access: 'viewer',
      response: ProfileListSchema,
      handler: async () =>
        Promise.resolve({ items: profiles.map((p) => ({ ...p, variables: redactVariables(p.variables) })) }),
    }),
    defineRoute({
      method: 'GET',
      url: '/rules',
      operationId: 'listRules',
      summary: 'The configured rules: which machines get which profile (the most specific match wins).',
      tag: 'config',
      access: 'viewer',
      response: RuleListSchema,
      handler: async () =>
        Promise.resolve({
          items: rules.map((rule) => {
            const { subnet, ...selector } = rule.selector;
            return {
              ...rule,
              selector: { ...selector, ...(subnet === undefined ? {} : { subnet: formatSubnet(subnet) }) },
            };
          }),
        }),
    }),
  ];
}
