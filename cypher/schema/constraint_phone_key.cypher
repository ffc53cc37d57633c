// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Phone nodes are unique by (case_id, msisdn): the key MERGE uses.
CREATE CONSTRAINT phone_key IF NOT EXISTS
FOR (n:Phone) REQUIRE (n.case_id, n.msisdn) IS UNIQUE
