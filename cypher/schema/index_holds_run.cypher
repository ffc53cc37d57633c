// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds HOLDS relationships of a case left by an earlier publish run.
CREATE INDEX holds_run IF NOT EXISTS
FOR ()-[r:HOLDS]-() ON (r.case_id, r.publish_run)
