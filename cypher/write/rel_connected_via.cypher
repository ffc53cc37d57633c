// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Creates or updates CONNECTED_VIA relationships from Phone to Cell (timestamps arrive as epoch milliseconds).
// Parameter: $rows LIST<MAP>: {src: msisdn, dst: cell_id, props: MAP}
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
UNWIND $rows AS row
MATCH (a:Phone {case_id: $case_id, msisdn: row.src})
MATCH (b:Cell {case_id: $case_id, cell_id: row.dst})
MERGE (a)-[r:CONNECTED_VIA]->(b)
SET r = row.props, r.case_id = $case_id, r.publish_run = $run_id,
  r.first = CASE WHEN row.props.first IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.first) END,
  r.last = CASE WHEN row.props.last IS NULL THEN NULL ELSE datetime.fromepochmillis(row.props.last) END,
  r.hours = [x IN row.props.hours | datetime.fromepochmillis(x)]
