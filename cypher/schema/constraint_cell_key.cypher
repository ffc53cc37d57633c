// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Cell nodes are unique by (case_id, cell_id): the key MERGE uses.
CREATE CONSTRAINT cell_key IF NOT EXISTS
FOR (n:Cell) REQUIRE (n.case_id, n.cell_id) IS UNIQUE
