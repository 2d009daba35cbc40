-- What an environment's last apply left in the cluster: a digest of the objects as applied and,
-- per object, a digest of the fields the environment owned right after it. A drift pass compares
-- the live objects with this and applies only what someone changed. Kept here rather than in the
-- cluster, where anyone who may edit the namespace could rewrite it and hide their change.
CREATE TABLE applied_objects (
  project     text NOT NULL,
  environment text NOT NULL,
  plan        text NOT NULL,
  fields      jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project, environment),
  FOREIGN KEY (project, environment) REFERENCES environments (project, name) ON DELETE CASCADE
);
