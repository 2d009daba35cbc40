// Rendered manifests, stored once by a digest of their YAML. A render that used secrets holds their
// values, so it is stored sealed, under a digest keyed with the payload keys: the plain sha256 of
// a manifest whose every other line is known would let a reader of the table test guesses of a
// short secret against it.
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { keyedHash, open, seal, type Keyring } from '../crypto/keyring.js';

export function manifestHash(yaml: string): string {
  return createHash('sha256').update(yaml, 'utf8').digest('hex');
}

/** The digest a sealed manifest is stored under: 64 hex digits like a sha256, keyed with the newest key. */
export function sealedManifestHash(keyring: Keyring, yaml: string): string {
  return keyedHash(keyring, 'rendered-manifest').update(yaml, 'utf8').digest('hex');
}

/** The secret values a sealed manifest was rendered with, kept inside the seal so what reads it can redact them. */
export interface ManifestSecrets {
  keyring: Keyring;
  values: string[];
}

export interface StoredManifest {
  yaml: string;
  /** the secret values rendered into it (none for a manifest stored in the clear) */
  secretValues: string[];
}

const sealContext = (hash: string) => `rendered-manifest:${hash}`;

/**
 * Stores the YAML (a no-op when that content is already stored) and returns its hash; sealed when
 * it was rendered with secrets.
 */
export async function storeRenderedManifest(pool: pg.Pool, yaml: string, secrets?: ManifestSecrets): Promise<string> {
  const size = Buffer.byteLength(yaml, 'utf8');
  if (secrets) {
    const hash = sealedManifestHash(secrets.keyring, yaml);
    const sealed = seal(secrets.keyring, Buffer.from(JSON.stringify({ yaml, secretValues: secrets.values } satisfies StoredManifest), 'utf8'), sealContext(hash));
    await pool.query('INSERT INTO rendered_manifests (sha256, sealed, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [hash, sealed, size]);
    return hash;
  }
  const sha256 = manifestHash(yaml);
  await pool.query('INSERT INTO rendered_manifests (sha256, yaml, size) VALUES ($1, $2, $3) ON CONFLICT (sha256) DO NOTHING', [sha256, yaml, size]);
  return sha256;
}

/** The manifest stored under `sha256`, opened with `keyring` when it is sealed. */
export async function openRenderedManifest(pool: pg.Pool, sha256: string, keyring?: Keyring): Promise<StoredManifest> {
  const { rows } = await pool.query<{ yaml: string | null; sealed: Buffer | null }>('SELECT yaml, sealed FROM rendered_manifests WHERE sha256 = $1', [sha256]);
  const row = rows[0];
  if (!row) throw new Error(`no rendered manifest with sha256 ${sha256}`);
  if (row.yaml !== null) return { yaml: row.yaml, secretValues: [] };
  if (!keyring) throw new Error(`rendered manifest ${sha256} holds secrets and DEPLOYER_PAYLOAD_KEYS is not set on this worker`);
  return JSON.parse(open(keyring, row.sealed!, sealContext(sha256)).toString('utf8')) as StoredManifest;
}

export async function loadRenderedManifest(pool: pg.Pool, sha256: string, keyring?: Keyring): Promise<string> {
  return (await openRenderedManifest(pool, sha256, keyring)).yaml;
}
