// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates Phone nodes; their properties become exactly row.props.
// Parameter: $rows LIST<MAP>: {key: msisdn, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MERGE (n:Phone {case_id: $case_id, msisdn: row.key})
SET n = row.props, n.case_id = $case_id, n.publish_run = $run_id
