// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on MOVED_TO_HANDSET.status.
CREATE RANGE INDEX moved_to_handset_status IF NOT EXISTS
FOR ()-[x:MOVED_TO_HANDSET]-() ON (x.status)
