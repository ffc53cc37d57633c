// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds USED_DEVICE relationships of a case left by an earlier publish run.
CREATE INDEX used_device_run IF NOT EXISTS
FOR ()-[r:USED_DEVICE]-() ON (r.case_id, r.publish_run)
