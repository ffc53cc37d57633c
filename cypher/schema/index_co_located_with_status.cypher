// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on CO_LOCATED_WITH.status.
CREATE RANGE INDEX co_located_with_status IF NOT EXISTS
FOR ()-[x:CO_LOCATED_WITH]-() ON (x.status)
