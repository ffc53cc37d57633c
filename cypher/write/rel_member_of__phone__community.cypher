// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates MEMBER_OF relationships from Phone to Community (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: msisdn, dst: community_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Phone {case_id: $case_id, msisdn: row.src})
MATCH (b:Community {case_id: $case_id, community_id: row.dst})
MERGE (a)-[r:MEMBER_OF]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id
