// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds Device nodes of a case left by an earlier publish run.
CREATE INDEX device_run IF NOT EXISTS
FOR (n:Device) ON (n.case_id, n.publish_run)
