// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates Device nodes; their properties become exactly row.props (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {key: imei, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MERGE (n:Device {case_id: $case_id, imei: row.key})
SET n = row.props, n.case_id = $case_id, n.publish_run = $run_id
