// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates Record nodes; their properties become exactly row.props (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {key: record_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MERGE (n:Record {case_id: $case_id, record_id: row.key})
SET n = row.props, n.case_id = $case_id, n.publish_run = $run_id
