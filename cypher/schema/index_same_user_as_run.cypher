// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds SAME_USER_AS relationships of a case left by an earlier publish run.
CREATE INDEX same_user_as_run IF NOT EXISTS
FOR ()-[r:SAME_USER_AS]-() ON (r.case_id, r.publish_run)
