// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds TRANSFERRED relationships of a case left by an earlier publish run.
CREATE INDEX transferred_run IF NOT EXISTS
FOR ()-[r:TRANSFERRED]-() ON (r.case_id, r.publish_run)
