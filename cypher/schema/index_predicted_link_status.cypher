// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on PREDICTED_LINK.status.
CREATE RANGE INDEX predicted_link_status IF NOT EXISTS
FOR ()-[x:PREDICTED_LINK]-() ON (x.status)
