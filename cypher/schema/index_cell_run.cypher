// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds Cell nodes of a case left by an earlier publish run.
CREATE INDEX cell_run IF NOT EXISTS
FOR (n:Cell) ON (n.case_id, n.publish_run)
