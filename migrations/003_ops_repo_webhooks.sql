-- Push webhooks of ops repositories: the secret a push must be signed with (GitHub, Gitea: HMAC-SHA256
-- of the body) or carry (GitLab: X-Gitlab-Token). Kept as given, since verifying an HMAC needs it;
-- the API and CLI only ever write it and say whether one is set.
ALTER TABLE ops_repos
  ADD COLUMN webhook_secret text CHECK (webhook_secret IS NULL OR length(webhook_secret) BETWEEN 16 AND 256);

-- The poller of a branch reads every row sharing its URL and branch.
CREATE INDEX ops_repos_url_branch ON ops_repos (url, branch);
