// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates CLONED_SIM relationships from Phone to Phone (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: msisdn, dst: msisdn, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Phone {case_id: $case_id, msisdn: row.src})
MATCH (b:Phone {case_id: $case_id, msisdn: row.dst})
MERGE (a)-[r:CLONED_SIM]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id,
  r.decided_at = CASE WHEN row.props.decided_at IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.decided_at) END
