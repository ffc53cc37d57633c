// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds MOVED_TO_HANDSET relationships of a case left by an earlier publish run.
CREATE INDEX moved_to_handset_run IF NOT EXISTS
FOR ()-[r:MOVED_TO_HANDSET]-() ON (r.case_id, r.publish_run)
