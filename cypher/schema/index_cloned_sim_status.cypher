// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on CLONED_SIM.status.
CREATE RANGE INDEX cloned_sim_status IF NOT EXISTS
FOR ()-[x:CLONED_SIM]-() ON (x.status)
