// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates Account nodes; their properties become exactly row.props (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {key: account_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MERGE (n:Account {case_id: $case_id, account_id: row.key})
SET n = row.props, n.case_id = $case_id, n.publish_run = $run_id
