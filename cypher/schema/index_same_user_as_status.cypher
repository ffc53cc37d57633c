// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on SAME_USER_AS.status.
CREATE RANGE INDEX same_user_as_status IF NOT EXISTS
FOR ()-[x:SAME_USER_AS]-() ON (x.status)
