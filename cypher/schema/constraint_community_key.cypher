// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Community nodes are unique by (case_id, community_id): the key MERGE uses.
CREATE CONSTRAINT community_key IF NOT EXISTS
FOR (n:Community) REQUIRE (n.case_id, n.community_id) IS UNIQUE
