// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds CO_LOCATED_WITH relationships of a case left by an earlier publish run.
CREATE INDEX co_located_with_run IF NOT EXISTS
FOR ()-[r:CO_LOCATED_WITH]-() ON (r.case_id, r.publish_run)
