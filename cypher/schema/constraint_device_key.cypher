// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Device nodes are unique by (case_id, imei): the key MERGE uses.
CREATE CONSTRAINT device_key IF NOT EXISTS
FOR (n:Device) REQUIRE (n.case_id, n.imei) IS UNIQUE
