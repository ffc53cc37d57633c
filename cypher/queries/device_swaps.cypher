// Title: SIM and handset swaps, cloned SIMs (device hypotheses)
// Description: What `graphkit devices` found: a SIM moved into another handset
//   (MOVED_TO_HANDSET), a handset that took another SIM (TOOK_SIM), one number in two places
//   or handsets at once (CLONED_SIM), each a hypothesis with its score and evidence, and the
//   known users of the numbers. Decide them with `graphkit review`, not in Neo4j.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: status STRING, default "hypothesis": hypothesis, confirmed or rejected
// Param: min_score FLOAT, default 0.0: lowest score listed
// Param: limit INTEGER, default 100: most rows returned
// Returns: kind, phone, imei, users, score, status, evidence
MATCH (x)-[h:MOVED_TO_HANDSET|TOOK_SIM|CLONED_SIM]->(y)
WHERE h.case_id = $case_id AND h.status = $status AND h.score >= $min_score
WITH h, CASE WHEN x:Phone THEN x ELSE y END AS phone, CASE WHEN x:Device THEN x
  WHEN y:Device THEN y END AS device
OPTIONAL MATCH (u:Person)-[:USES]->(phone)
RETURN
  type(h) AS kind,
  phone.msisdn AS phone,
  device.imei AS imei,
  collect(DISTINCT u.full_name) AS users,
  h.score AS score,
  h.status AS status,
  h.evidence AS evidence
ORDER BY score DESC, phone
LIMIT $limit
