-- How far the rollout in flight got, as the health step last saw it: written whenever its counts
-- change and notified on the live feed's channel (deployer_live), since the step's heartbeats
-- reach Temporal throttled, up to tens of seconds apart. The run and activity it came from let a
-- reader tell whether it is the rollout still in flight: a row of a finished one is ignored.
CREATE TABLE environment_rollout (
  project     text NOT NULL,
  environment text NOT NULL,
  run_id      text NOT NULL,
  activity_id text NOT NULL,
  workloads   jsonb NOT NULL,
  reported_at timestamptz NOT NULL,
  PRIMARY KEY (project, environment),
  FOREIGN KEY (project, environment) REFERENCES environments (project, name) ON DELETE CASCADE
);
