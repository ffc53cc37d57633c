// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Serves queries of the library that filter or sort on Person.full_name.
CREATE TEXT INDEX person_full_name IF NOT EXISTS
FOR (x:Person) ON (x.full_name)
