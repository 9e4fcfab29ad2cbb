// Profile variables as the API shows them (reliability-catalogue I7, S06): the value of every secret-named key
// (values/redact.ts: pass, secret, token, key) and every crypt hash, wherever it sits, is replaced whole. A
// password hash is a secret even under an innocent name (`users: [{name: root, hash: $6$…}]`): it can be cracked
// offline.
import type { JsonObject, JsonValue } from '../inventory/json.js';
import { isSecretName, REDACTED } from '../values/redact.js';

/** crypt(3) hashes: `$1$`, `$2a$`/`$2b$`/`$2y$`, `$5$`, `$6$`, yescrypt `$y$`, `$gy$`, `$7$`. */
const CRYPT_HASH = /^\$(?:1|2[aby]?|5|6|7|y|gy)\$/;

export function redactVariables(variables: JsonObject): JsonObject {
  const out: Record<string, JsonValue> = {};
  for (const [name, value] of Object.entries(variables)) {
    out[name] = isSecretName(name) ? REDACTED : redactValue(value);
  }
  return out;
}

function redactValue(value: JsonValue): JsonValue {
  if (typeof value === 'string') return CRYPT_HASH.test(value) ? REDACTED : value;
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') return redactVariables(value as JsonObject);
  return value;
}
