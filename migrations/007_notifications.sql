-- Notifications: who wants to hear about an environment's events (a release became healthy, a
-- request is held by a freeze…), where and in which format, and what became of each delivery.

-- A subscription covers one project, or one environment of it (environment NULL: every environment).
-- `events` are CloudEvents types, or '*' for all. `secret` signs deliveries and is write-only: sealed
-- with DEPLOYER_PAYLOAD_KEYS where they are set ("sealed:" and base64), as written where they are not;
-- the API only ever says whether one is set.
CREATE TABLE notification_subscriptions (
  id          bigserial PRIMARY KEY,
  project     text NOT NULL REFERENCES projects (name) ON DELETE CASCADE,
  environment text,
  events      text[] NOT NULL CHECK (cardinality(events) > 0),
  url         text NOT NULL CHECK (url ~* '^https?://' AND length(url) <= 2048),
  format      text NOT NULL CHECK (format IN ('cloudevents', 'slack')),
  secret      text,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (project, environment) REFERENCES environments (project, name) ON DELETE CASCADE
);
-- An event looks up the subscriptions of its project.
CREATE INDEX notification_subscriptions_project ON notification_subscriptions (project, environment);

-- One row per subscription and event, updated by every attempt: a retried delivery is recognised
-- by its event id and never becomes a second row.
CREATE TABLE notification_deliveries (
  id               bigserial PRIMARY KEY,
  subscription_id  bigint NOT NULL REFERENCES notification_subscriptions (id) ON DELETE CASCADE,
  event_id         text NOT NULL,
  event_type       text NOT NULL,
  status           text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_http_status integer,
  last_error       text CHECK (last_error IS NULL OR length(last_error) <= 1000),
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  UNIQUE (subscription_id, event_id)
);
CREATE INDEX notification_deliveries_subscription ON notification_deliveries (subscription_id, id DESC);
