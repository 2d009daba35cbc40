-- Tenancy: a namespace belongs to one project; a project has a policy of what its environments may
-- touch; an environment may apply as its own service account.

CREATE TABLE namespace_claims (
  namespace  text PRIMARY KEY,
  project    text NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Environments registered before claims existed: the project whose environment came first owns
-- the namespace. Any other project's environment in it fails its next deployment with a policy
-- violation naming the owner, instead of silently sharing it.
INSERT INTO namespace_claims (namespace, project, created_at)
SELECT DISTINCT ON (namespace) namespace, project, created_at
  FROM environments
 ORDER BY namespace, created_at, project;

ALTER TABLE environments
  ADD COLUMN share_namespace boolean NOT NULL DEFAULT false,
  ADD COLUMN impersonate jsonb;

-- Absent row: the defaults (own namespace only, no cluster-scoped kinds but the own Namespace,
-- no cluster-wide RBAC).
CREATE TABLE project_policies (
  project    text PRIMARY KEY REFERENCES projects (name) ON DELETE CASCADE,
  policy     jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
);
