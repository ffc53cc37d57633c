// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on Community.level.
CREATE RANGE INDEX community_level IF NOT EXISTS
FOR (x:Community) ON (x.level)
