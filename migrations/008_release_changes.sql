-- What each release did and who let it through, on its own history row, so "what changed in the
-- release that broke prod" is answered by the history rather than by re-rendering old commits.
--   changes:  the release's apply, per object its identity, what the apply did (created,
--             configured, unchanged, pruned) and the managed fields it changed, bounded like a
--             preview's diff (2,000 field changes in all, the count left out kept beside them).
--             NULL for rows of other actions and for releases recorded before this column.
--   approval: the decision on a gated request — approved, rejected or expired — by whom, when and
--             why. NULL when the environment asks for no approval.
-- No CHECKs on their shape: the workflow's writes retry until they land, and a row refused for
-- its shape would hold the workflow up for good; the types of the code that writes them keep it.
ALTER TABLE deployment_history
  ADD COLUMN changes  jsonb,
  ADD COLUMN approval jsonb;
