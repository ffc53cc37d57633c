// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds RESOLVED_FROM relationships of a case left by an earlier publish run.
CREATE INDEX resolved_from_run IF NOT EXISTS
FOR ()-[r:RESOLVED_FROM]-() ON (r.case_id, r.publish_run)
