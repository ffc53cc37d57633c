// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates TRANSFERRED relationships from Account to Account (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: account_id, dst: account_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Account {case_id: $case_id, account_id: row.src})
MATCH (b:Account {case_id: $case_id, account_id: row.dst})
MERGE (a)-[r:TRANSFERRED {currency: row.props.currency}]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id,
  r.first = CASE WHEN row.props.first IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.first) END,
  r.last = CASE WHEN row.props.last IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.last) END
