// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Deletes up to $limit Record nodes of the case not written by $run_id.
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
// Parameter: $limit INTEGER: most items deleted per transaction
MATCH (n:Record)
WHERE n.case_id = $case_id AND n.publish_run <> $run_id
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted
