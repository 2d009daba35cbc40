// API tokens: `dpl_` followed by 43 base64url characters (32 random bytes). Only the sha256 of a
// token is stored, so a database dump does not hand out working credentials; the plain token is
// returned once, to whoever creates it.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { isSlug } from '../domain/request-rules.js';
import { isScope, type Scope } from './scopes.js';

const TOKEN_PREFIX = 'dpl_';
// Also accepts tokens of other lengths a future version may issue; anything else is not ours.
const TOKEN_SHAPE = /^dpl_[A-Za-z0-9_-]{20,128}$/;

export interface NewApiToken {
  name: string;
  scopes: Scope[];
  /** the only project the token works on; absent for a global token */
  project?: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `token` has the shape of a token we issue, so obviously bad ones never reach the database. */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_SHAPE.test(token);
}

export async function createApiToken(pool: pg.Pool, request: NewApiToken): Promise<{ token: string; id: number }> {
  const name = request.name.trim();
  if (name === '' || name.length > 200) throw new TypeError('token name must be 1-200 characters');
  if (request.scopes.length === 0) throw new TypeError('a token needs at least one scope');
  const unknown = request.scopes.filter((scope) => !isScope(scope));
  if (unknown.length > 0) throw new TypeError(`unknown scope(s): ${unknown.join(', ')}`);
  if (request.project !== undefined && !isSlug(request.project)) throw new TypeError(`project "${request.project}" is not a slug`);

  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const { rows } = await pool.query<{ id: string }>(
    'INSERT INTO api_tokens (name, token_sha256, scopes, project) VALUES ($1, $2, $3, $4) RETURNING id',
    [name, hashToken(token), [...new Set(request.scopes)], request.project ?? null],
  );
  return { token, id: Number(rows[0]!.id) };
}

/** Revokes a token by id; returns false when no active token has that id. */
export async function revokeApiToken(pool: pg.Pool, id: number): Promise<boolean> {
  const { rowCount } = await pool.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
  return rowCount === 1;
}
