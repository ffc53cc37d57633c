// Title: Hand-offs and predicted links awaiting review
// Description: Model hypotheses (SAME_USER_AS: two numbers of one user, e.g. a burner
//   hand-off; PREDICTED_LINK: a tie likely but not observed) with their score, threshold,
//   model version and evidence; decide them with `graphkit review`, not in Neo4j.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: status STRING, default "hypothesis": hypothesis, confirmed or rejected
// Param: min_score FLOAT, default 0.0: lowest score listed
// Param: limit INTEGER, default 100: most rows returned
// Returns: kind, from_id, to_id, score, threshold, model_version, evidence, status
MATCH (a)-[h:SAME_USER_AS|PREDICTED_LINK]->(b)
WHERE h.case_id = $case_id AND h.status = $status AND h.score >= $min_score
RETURN
  type(h) AS kind,
  coalesce(a.person_id, a.msisdn) AS from_id,
  coalesce(b.person_id, b.msisdn) AS to_id,
  h.score AS score,
  h.threshold AS threshold,
  h.model_version AS model_version,
  h.evidence AS evidence,
  h.status AS status
ORDER BY score DESC
LIMIT $limit
