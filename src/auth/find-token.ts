// Resolves a presented bearer token to the principal it stands for.
import type pg from 'pg';
import { hashToken, isWellFormedToken } from './tokens.js';

export interface Principal {
  tokenId: number;
  /** who acted: recorded as requestedBy on signals and as the actor of audit rows */
  name: string;
  scopes: string[];
  /** null for a global token */
  project: string | null;
}

/**
 * The principal of an active (not revoked) token, or undefined. Marks the token used in the same
 * statement, so the lookup costs one round trip.
 */
export async function findActiveToken(pool: pg.Pool, token: string): Promise<Principal | undefined> {
  if (!isWellFormedToken(token)) return undefined;
  const { rows } = await pool.query<{ id: string; name: string; scopes: string[]; project: string | null }>(
    `UPDATE api_tokens SET last_used_at = now()
      WHERE token_sha256 = $1 AND revoked_at IS NULL
      RETURNING id, name, scopes, project`,
    [hashToken(token)],
  );
  const row = rows[0];
  return row && { tokenId: Number(row.id), name: row.name, scopes: row.scopes, project: row.project };
}
