// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Finds TOOK_SIM relationships of a case left by an earlier publish run.
CREATE INDEX took_sim_run IF NOT EXISTS
FOR ()-[r:TOOK_SIM]-() ON (r.case_id, r.publish_run)
