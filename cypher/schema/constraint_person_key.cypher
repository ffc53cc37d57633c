// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Person nodes are unique by (case_id, person_id): the key MERGE uses.
CREATE CONSTRAINT person_key IF NOT EXISTS
FOR (n:Person) REQUIRE (n.case_id, n.person_id) IS UNIQUE
