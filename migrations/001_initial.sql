-- The deployer's record: what each environment should run, what it runs, and every action taken.

CREATE TABLE ops_repos (
  id              bigserial PRIMARY KEY,
  name            text NOT NULL UNIQUE,
  url             text NOT NULL,
  branch          text NOT NULL DEFAULT 'main',
  path            text NOT NULL DEFAULT '.',
  sync_interval_s integer NOT NULL DEFAULT 60 CHECK (sync_interval_s > 0),
  last_synced_at  timestamptz,
  last_sha        text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE projects (
  name       text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE environments (
  project         text NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
  name            text NOT NULL,
  ops_repo_id     bigint NOT NULL REFERENCES ops_repos (id),
  manifest_path   text NOT NULL,
  namespace       text NOT NULL,
  cluster         text NOT NULL DEFAULT 'default',
  policy          jsonb NOT NULL DEFAULT '{}'::jsonb,
  values_override jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, name)
);

-- One row per environment: the desired release and what was last observed.
CREATE TABLE deployments (
  project        text NOT NULL,
  environment    text NOT NULL,
  desired_image  text,
  desired_status text NOT NULL DEFAULT 'running' CHECK (desired_status IN ('running', 'stopped')),
  current_status text NOT NULL DEFAULT 'pending',
  current_image  text,
  current_sha    text,
  manifest_hash  text,
  deployed_at    timestamptz,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment),
  FOREIGN KEY (project, environment) REFERENCES environments (project, name) ON DELETE CASCADE
);

-- Every action the workflow took. idempotency_key comes from (workflow ID, run ID, sequence), so a
-- retried write updates its own row instead of adding another.
CREATE TABLE deployment_history (
  id              bigserial PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  project         text NOT NULL,
  environment     text NOT NULL,
  action          text NOT NULL CHECK (action IN ('deploy', 'rollback', 'stop', 'drift', 'cancel', 'auto-rollback')),
  status          text NOT NULL CHECK (status IN ('in-progress', 'healthy', 'failed', 'cancelled', 'stopped', 'unchanged', 'corrected')),
  image_ref       text,
  sha             text,
  manifest_hash   text,
  values_override jsonb,
  error           text,
  error_type      text,
  request_id      text,
  requested_by    text,
  reason          text,
  started_at      timestamptz NOT NULL,
  finished_at     timestamptz
);
CREATE INDEX deployment_history_env ON deployment_history (project, environment, id DESC);

-- Rendered manifests by content hash: activities pass the hash, never the YAML.
CREATE TABLE rendered_manifests (
  sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  yaml       text NOT NULL,
  size       integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,
  project      text,
  environment  text,
  request_id   text,
  outcome      text NOT NULL,
  details      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_env ON audit_log (project, environment, id DESC);

CREATE TABLE api_tokens (
  id           bigserial PRIMARY KEY,
  name         text NOT NULL,
  token_sha256 text NOT NULL UNIQUE,
  scopes       text[] NOT NULL,
  project      text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);
