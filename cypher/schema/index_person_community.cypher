// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on Person.community.
CREATE RANGE INDEX person_community IF NOT EXISTS
FOR (x:Person) ON (x.community)
