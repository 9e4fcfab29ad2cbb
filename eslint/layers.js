// The module-boundary rule of docs/architecture.md (design.md §2): a file under src/<layer>/ may import only
// from its own layer and from the layers listed for it below. Imports are resolved relative to the importing
// file, so `../store/x.js` from src/protocol/ is caught however deep the file sits.
import path from 'node:path';

/** layer → layers it may import (besides itself). `*` means any layer. */
export const LAYERS = {
  values: [],
  protocol: ['values'],
  observability: ['values'],
  config: ['values', 'inventory'],
  inventory: ['values'],
  boot: ['values', 'protocol', 'inventory'],
  answers: ['values', 'inventory'],
  net: ['values', 'protocol', 'observability'],
  store: ['values', 'inventory', 'observability'],
  catalog: ['values', 'inventory', 'observability'],
  dhcp: ['values', 'protocol', 'inventory', 'store', 'boot', 'observability', 'net'],
  cache: ['values', 'observability', 'net'],
  capture: ['values', 'protocol', 'inventory', 'store', 'observability', 'net'],
  provision: [
    'values',
    'protocol',
    'inventory',
    'store',
    'observability',
    'config',
    'boot',
    'answers',
    'catalog',
    'net',
  ],
  api: [
    'values',
    'inventory',
    'store',
    'observability',
    'config',
    'boot',
    'answers',
    'catalog',
    'dhcp',
    'provision',
    'capture',
  ],
  web: ['values', 'inventory', 'store', 'observability', 'api'],
  lab: ['values', 'observability', 'config'],
  cli: ['*'],
  '': ['*'], // src/main.ts and other files at the top of src/: the composition root
};

/** Layers that may import the HTTP framework (design.md §2: nothing below api/ and web/ does). */
export const HTTP_FRAMEWORK_LAYERS = new Set(['net', 'provision', 'api', 'web', 'cli', '']);
const HTTP_FRAMEWORK = /^(fastify|@fastify\/)/;

function layerOf(absFile, srcRoot) {
  const rel = path.relative(srcRoot, absFile);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined; // not under src/
  const parts = rel.split(path.sep);
  return parts.length === 1 ? '' : parts[0];
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the dependency direction between the layers of src/' },
    schema: [{ type: 'object', properties: { srcRoot: { type: 'string' } }, additionalProperties: false }],
    messages: {
      forbidden:
        'src/{{from}}/ may not import src/{{to}}/ (allowed: {{allowed}}). See docs/architecture.md, "Layers".',
      unknownLayer:
        'src/{{layer}}/ is not a known layer: add it to eslint/layers.js and docs/architecture.md.',
      httpFramework:
        'src/{{from}}/ may not import the HTTP framework ({{name}}); only net/, provision/, api/, web/, cli/ and main.ts do.',
    },
  },
  create(context) {
    const srcRoot = path.resolve(context.options[0]?.srcRoot ?? path.join(context.cwd, 'src'));
    const file = path.resolve(context.filename);
    const from = layerOf(file, srcRoot);
    if (from === undefined) return {};
    const allowed = LAYERS[from];

    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      if (HTTP_FRAMEWORK.test(specifier)) {
        if (!HTTP_FRAMEWORK_LAYERS.has(from)) {
          context.report({ node, messageId: 'httpFramework', data: { from, name: specifier } });
        }
        return;
      }
      if (!specifier.startsWith('.')) return; // packages and node: builtins
      if (allowed === undefined) {
        context.report({ node, messageId: 'unknownLayer', data: { layer: from } });
        return;
      }
      const to = layerOf(path.resolve(path.dirname(file), specifier), srcRoot);
      if (to === undefined || to === from || allowed.includes('*') || allowed.includes(to)) return;
      context.report({
        node,
        messageId: 'forbidden',
        data: { from: from || '(top)', to: to || '(top)', allowed: allowed.join(', ') || 'nothing of ours' },
      });
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

export default { rules: { layers: layersRule } };
