// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds PREDICTED_LINK relationships of a case left by an earlier publish run.
CREATE INDEX predicted_link_run IF NOT EXISTS
FOR ()-[r:PREDICTED_LINK]-() ON (r.case_id, r.publish_run)
