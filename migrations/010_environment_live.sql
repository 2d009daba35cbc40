-- What each environment is doing right now, as its workflow last reported it: deploying and the
-- step, waiting and for what (minimum interval, approval, freeze) and until when. The workers
-- write it on every change, batched, and notify the API's live feed (channel deployer_live);
-- the dashboard's fleet reads it beside the recorded state. A report made earlier in workflow
-- time never replaces a later one (a replay reports the states it passes through again).
CREATE TABLE environment_live (
  project     text NOT NULL,
  environment text NOT NULL,
  phase       text NOT NULL,
  detail      text,
  until       timestamptz,
  reported_at timestamptz NOT NULL,
  PRIMARY KEY (project, environment),
  FOREIGN KEY (project, environment) REFERENCES environments (project, name) ON DELETE CASCADE
);

-- The fleet shows each environment's last drift correction: one index probe per environment.
CREATE INDEX deployment_history_corrected ON deployment_history (project, environment, id DESC) WHERE status = 'corrected';
