import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
// @ts-expect-error -- the rule is plain JavaScript loaded by eslint.config.js; it has no type declarations.
import { layersRule } from '../../eslint/layers.js';

RuleTester.describe = describe;
RuleTester.it = it;
// The TypeScript parser, as `npm run lint` uses: sources have `import type` and `export type`.
const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
});

const root = '/repo/src';
const at = (file: string, code: string) => ({
  filename: `${root}/${file}`,
  code,
  options: [{ srcRoot: root }],
});

describe('fleetboot/layers', () => {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- see the import above
  tester.run('layers', layersRule, {
    valid: [
      at('protocol/dhcp4/message.ts', "import { parseMac } from '../../values/mac.js';"),
      at('protocol/dhcp4/message.ts', "import { Reader } from '../bytes/reader.js';"),
      at('boot/decide.ts', "import type { Machine } from '../inventory/machine.js';"),
      at('net/dhcp-listener.ts', "import { decode } from '../protocol/dhcp4/message.js';"),
      at('net/http-app.ts', "import { fastify } from 'fastify';"),
      at('api/routes.ts', "import { fastify } from 'fastify';"),
      at('main.ts', "import { openStore } from './store/open.js';"),
      at('cli/serve.ts', "import { buildHttpApp } from '../net/http-app.js';"),
      at('store/sqlite.ts', "import Database from 'better-sqlite3';"),
      at('store/sqlite.ts', "export * from './types.js';"),
      at('answers/preseed.ts', "export type { Machine } from '../inventory/machine.js';"),
    ],
    invalid: [
      {
        ...at('protocol/dhcp4/message.ts', "import { createLogger } from '../../observability/logger.js';"),
        errors: [{ messageId: 'forbidden' }],
      },
      {
        ...at('protocol/tftp/packet.ts', "export { x } from '../../net/udp.js';"),
        errors: [{ messageId: 'forbidden' }],
      },
      {
        ...at('inventory/machine.ts', "import { openStore } from '../store/open.js';"),
        errors: [{ messageId: 'forbidden' }],
      },
      {
        ...at('boot/decide.ts', "import { udp } from '../net/udp.js';"),
        errors: [{ messageId: 'forbidden' }],
      },
      {
        ...at('inventory/m.ts', "import type { Lease } from '../store/types.js';"),
        errors: [{ messageId: 'forbidden' }],
      },
      {
        ...at('store/leases.ts', "import { main } from '../main.js';"),
        errors: [{ messageId: 'forbidden' }],
      },
      { ...at('net/tftp.ts', "const m = import('../store/open.js');"), errors: [{ messageId: 'forbidden' }] },
      {
        ...at('store/leases.ts', "import { fastify } from 'fastify';"),
        errors: [{ messageId: 'httpFramework' }],
      },
      {
        ...at('boot/ipxe.ts', "import fastifyStatic from '@fastify/static';"),
        errors: [{ messageId: 'httpFramework' }],
      },
      {
        ...at('gadgets/x.ts', "import { y } from '../values/mac.js';"),
        errors: [{ messageId: 'unknownLayer' }],
      },
    ],
  });
});
