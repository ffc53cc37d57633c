// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates MOVED_TO_HANDSET relationships from Phone to Device (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: msisdn, dst: imei, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Phone {case_id: $case_id, msisdn: row.src})
MATCH (b:Device {case_id: $case_id, imei: row.dst})
MERGE (a)-[r:MOVED_TO_HANDSET]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id,
  r.decided_at = CASE WHEN row.props.decided_at IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.decided_at) END
