// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates Cell nodes; their properties become exactly row.props (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {key: cell_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MERGE (n:Cell {case_id: $case_id, cell_id: row.key})
SET n = row.props, n.case_id = $case_id, n.publish_run = $run_id
