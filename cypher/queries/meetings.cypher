// Title: Phones repeatedly together (co-location hypotheses)
// Description: Pairs of phones that `graphkit colocate` found on the same or nearby cells at
//   the same time more often than their usual cells explain (CO_LOCATED_WITH, a hypothesis:
//   a tower serves an area kilometres across), with their known users, the occasions, the
//   q-value and the evidence. Decide them with `graphkit review`, not in Neo4j.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: status STRING, default "hypothesis": hypothesis, confirmed or rejected
// Param: min_score FLOAT, default 0.0: lowest score listed
// Param: limit INTEGER, default 100: most rows returned
// Returns: phone_a, users_a, phone_b, users_b, score, status, evidence
MATCH (a:Phone)-[h:CO_LOCATED_WITH]->(b:Phone)
WHERE h.case_id = $case_id AND h.status = $status AND h.score >= $min_score
OPTIONAL MATCH (ua:Person)-[:USES]->(a)
WITH a, b, h, collect(DISTINCT ua.full_name) AS users_a
OPTIONAL MATCH (ub:Person)-[:USES]->(b)
RETURN
  a.msisdn AS phone_a,
  users_a,
  b.msisdn AS phone_b,
  collect(DISTINCT ub.full_name) AS users_b,
  h.score AS score,
  h.status AS status,
  h.evidence AS evidence
ORDER BY score DESC, phone_a, phone_b
LIMIT $limit
