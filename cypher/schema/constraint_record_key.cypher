// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Record nodes are unique by (case_id, record_id): the key MERGE uses.
CREATE CONSTRAINT record_key IF NOT EXISTS
FOR (n:Record) REQUIRE (n.case_id, n.record_id) IS UNIQUE
