// API tokens over Kysely. The hash column is read only to match a request's token; no method returns it.
import type { Selectable } from 'kysely';
import { API_ROLES, type ApiToken, type NewApiToken, TOKEN_NAME_PATTERN } from '../../inventory/api-token.js';
import { InvalidInputError, TokenNameTakenError } from '../errors.js';
import type { ApiTokensTable } from '../schema.js';
import type { TokenStore } from '../types.js';
import type { QueryContext } from './context.js';
import { decodeAll, decoded, oneOf } from './decode.js';
import { checkText, parsed } from './validate.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** The columns a token is read back from: everything but the hash. */
const PUBLIC_COLUMNS = ['id', 'name', 'role', 'created_at', 'created_by', 'revoked_at'] as const;

type TokenRow = Pick<Selectable<ApiTokensTable>, (typeof PUBLIC_COLUMNS)[number]>;

export class KyselyTokenStore implements TokenStore {
  constructor(private readonly ctx: QueryContext) {}

  async create(token: NewApiToken): Promise<ApiToken> {
    if (!TOKEN_NAME_PATTERN.test(token.name)) {
      throw new InvalidInputError(
        'name',
        'must be 1 to 63 of a-z, 0-9, dot, underscore or dash, starting alphanumeric',
      );
    }
    if (!SHA256_HEX.test(token.tokenHash)) {
      throw new InvalidInputError('tokenHash', 'must be 64 lower-case hex digits');
    }
    const row = {
      id: this.ctx.newId(),
      name: token.name,
      role: parsed('role', () => oneOf('API role', token.role, API_ROLES)),
      token_hash: token.tokenHash,
      created_at: this.ctx.now(),
      created_by: checkText('createdBy', token.createdBy),
      revoked_at: null,
    };
    try {
      await this.ctx.db.insertInto('api_tokens').values(row).execute();
    } catch (error) {
      const columns = this.ctx.adapter.uniqueViolation(error);
      if (columns?.includes('name') === true) throw new TokenNameTakenError(token.name);
      throw error;
    }
    return decodeToken(row);
  }

  async list(): Promise<readonly ApiToken[]> {
    const rows = await this.ctx.db
      .selectFrom('api_tokens')
      .select(PUBLIC_COLUMNS)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return decodeAll(rows, decodeToken, this.ctx.logger);
  }

  async findActiveByHash(tokenHash: string): Promise<ApiToken | undefined> {
    // A string that is no hash matches nothing; not worth a query.
    if (!SHA256_HEX.test(tokenHash)) return undefined;
    const row = await this.ctx.db
      .selectFrom('api_tokens')
      .select(PUBLIC_COLUMNS)
      .where('token_hash', '=', tokenHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row === undefined ? undefined : decodeToken(row);
  }

  async revoke(name: string): Promise<ApiToken | undefined> {
    // Revoking twice keeps the first time: when it stopped working is what the audit trail needs.
    await this.ctx.db
      .updateTable('api_tokens')
      .set({ revoked_at: this.ctx.now() })
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .execute();
    const row = await this.ctx.db
      .selectFrom('api_tokens')
      .select(PUBLIC_COLUMNS)
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined ? undefined : decodeToken(row);
  }
}

function decodeToken(row: TokenRow): ApiToken {
  return decoded('api_tokens', row.id, () => ({
    id: row.id,
    name: row.name,
    role: oneOf('API role', row.role, API_ROLES),
    createdAt: row.created_at,
    createdBy: row.created_by,
    revokedAt: row.revoked_at,
  }));
}
