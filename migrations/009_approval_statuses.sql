-- A deploy or rollback to an environment that needs approval has a history row of its own while it
-- waits: awaiting-approval (with the preview's diff), then approved, or cancelled with why
-- (rejected, expired, superseded).
ALTER TABLE deployment_history DROP CONSTRAINT deployment_history_status_check;
ALTER TABLE deployment_history ADD CONSTRAINT deployment_history_status_check CHECK (
  status IN ('in-progress', 'healthy', 'failed', 'cancelled', 'stopped', 'unchanged', 'corrected', 'awaiting-approval', 'approved')
);
