// Rendered manifests, stored once by the sha256 of their YAML.
import { createHash } from 'node:crypto';
import type pg from 'pg';

export function manifestHash(yaml: string): string {
  return createHash('sha256').update(yaml, 'utf8').digest('hex');
}

/** Stores the YAML (a no-op when that content is already stored) and returns its hash. */
export async function storeRenderedManifest(pool: pg.Pool, yaml: string): Promise<string> {
  const sha256 = manifestHash(yaml);
  await pool.query(
    'INSERT INTO rendered_manifests (sha256, yaml, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING',
    [sha256, yaml, Buffer.byteLength(yaml, 'utf8')],
  );
  return sha256;
}

export async function loadRenderedManifest(pool: pg.Pool, sha256: string): Promise<string> {
  const { rows } = await pool.query<{ yaml: string }>('SELECT yaml FROM rendered_manifests WHERE sha256 = $1', [sha256]);
  if (!rows[0]) throw new Error(`no rendered manifest with sha256 ${sha256}`);
  return rows[0].yaml;
}
