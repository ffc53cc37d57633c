// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Account nodes are unique by (case_id, account_id): the key MERGE uses.
CREATE CONSTRAINT account_key IF NOT EXISTS
FOR (n:Account) REQUIRE (n.case_id, n.account_id) IS UNIQUE
