// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds MEMBER_OF relationships of a case left by an earlier publish run.
CREATE INDEX member_of_run IF NOT EXISTS
FOR ()-[r:MEMBER_OF]-() ON (r.case_id, r.publish_run)
