// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates HOLDS relationships from Person to Account (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: person_id, dst: account_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Person {case_id: $case_id, person_id: row.src})
MATCH (b:Account {case_id: $case_id, account_id: row.dst})
MERGE (a)-[r:HOLDS]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id
