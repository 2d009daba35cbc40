-- What became of one request is looked up by its id when the workflow no longer lists it (the
-- API's long poll): the request's history row and the audit row that holds its receipt. Without
-- these, each lookup scans every row of the environment.
CREATE INDEX deployment_history_request ON deployment_history (project, environment, request_id) WHERE request_id IS NOT NULL;
CREATE INDEX audit_log_request ON audit_log (project, environment, request_id) WHERE request_id IS NOT NULL;
