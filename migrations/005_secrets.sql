-- Write-only secrets. Every value is sealed (AES-256-GCM under DEPLOYER_PAYLOAD_KEYS) with a context
-- naming where it belongs, so a sealed value copied to another row does not open. The fingerprint
-- (keyed HMAC) is computed when the value is written: reads show it, and it outlives a key rotation.

-- An environment's secrets, rendered into its templates as secrets.NAME.
CREATE TABLE environment_secrets (
  project     text NOT NULL,
  environment text NOT NULL,
  name        text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,62}$'),
  sealed      bytea NOT NULL,
  fingerprint text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment, name),
  FOREIGN KEY (project, environment) REFERENCES environments (project, name) ON DELETE CASCADE
);

-- A render that used secrets holds their values: it is stored sealed (yaml NULL), under a keyed
-- digest rather than the plain sha256, which would let anyone reading the table test guesses of a
-- short secret against it.
ALTER TABLE rendered_manifests
  ALTER COLUMN yaml DROP NOT NULL,
  ADD COLUMN sealed bytea,
  ADD CONSTRAINT rendered_manifests_one_form CHECK ((yaml IS NULL) <> (sealed IS NULL));

-- The git credentials of an ops repository (an HTTPS token or an SSH key), sealed; the kind and
-- fingerprint are what reads show.
ALTER TABLE ops_repos
  ADD COLUMN credentials_sealed bytea,
  ADD COLUMN credentials_kind text CHECK (credentials_kind IN ('https', 'ssh')),
  ADD COLUMN credentials_fingerprint text,
  ADD CONSTRAINT ops_repos_credentials_whole CHECK (
    (credentials_sealed IS NULL) = (credentials_kind IS NULL) AND (credentials_sealed IS NULL) = (credentials_fingerprint IS NULL));
