// Generated from graphkit/model.py by `python -m graphkit.publish.generate`.
// Do not edit: change the model and regenerate.

// Deletes up to $limit TOOK_SIM relationships of the case not written by $run_id.
// Parameter: $case_id STRING: the case the items belong to
// Parameter: $run_id STRING: this publish run
// Parameter: $limit INTEGER: most items deleted per transaction
MATCH ()-[r:TOOK_SIM]->()
WHERE r.case_id = $case_id AND r.publish_run <> $run_id
WITH r LIMIT $limit
DELETE r
RETURN count(*) AS deleted
