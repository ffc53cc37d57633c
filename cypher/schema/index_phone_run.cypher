// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds Phone nodes of a case left by an earlier publish run.
CREATE INDEX phone_run IF NOT EXISTS
FOR (n:Phone) ON (n.case_id, n.publish_run)
