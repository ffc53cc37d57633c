// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates CONTACT relationships from Person to Phone (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: person_id, dst: msisdn, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Person {case_id: $case_id, person_id: row.src})
MATCH (b:Phone {case_id: $case_id, msisdn: row.dst})
MERGE (a)-[r:CONTACT {kind: row.props.kind}]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id,
  r.first = CASE WHEN row.props.first IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.first) END,
  r.last = CASE WHEN row.props.last IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.last) END
