// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates RESOLVED_FROM relationships from Person to Record (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: person_id, dst: record_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Person {case_id: $case_id, person_id: row.src})
MATCH (b:Record {case_id: $case_id, record_id: row.dst})
MERGE (a)-[r:RESOLVED_FROM]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id
