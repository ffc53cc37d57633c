// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds CONNECTED_VIA relationships of a case left by an earlier publish run.
CREATE INDEX connected_via_run IF NOT EXISTS
FOR ()-[r:CONNECTED_VIA]-() ON (r.case_id, r.publish_run)
