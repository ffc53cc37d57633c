// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds CLONED_SIM relationships of a case left by an earlier publish run.
CREATE INDEX cloned_sim_run IF NOT EXISTS
FOR ()-[r:CLONED_SIM]-() ON (r.case_id, r.publish_run)
