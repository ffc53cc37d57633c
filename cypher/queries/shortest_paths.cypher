// Title: Shortest paths between two actors
// Description: All shortest chains of observed ties (phones used, calls, contacts, accounts,
//   transfers, shared handsets) linking two actors, up to 8 hops.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: from_id STRING, e.g. "P-N3": the first actor (person id or phone number)
// Param: to_id STRING, e.g. "P-N10": the second actor (person id or phone number)
// Param: limit INTEGER, default 25: most paths returned
// Returns: path, hops, and the keys of the nodes along it
OPTIONAL MATCH (p1:Person {case_id: $case_id, person_id: $from_id})
OPTIONAL MATCH (f1:Phone {case_id: $case_id, msisdn: $from_id})
OPTIONAL MATCH (p2:Person {case_id: $case_id, person_id: $to_id})
OPTIONAL MATCH (f2:Phone {case_id: $case_id, msisdn: $to_id})
WITH coalesce(p1, f1) AS a, coalesce(p2, f2) AS b
WHERE a IS NOT NULL AND b IS NOT NULL AND a <> b
MATCH path = allShortestPaths((a)-[:USES|CALLED|CONTACT|HOLDS|TRANSFERRED|USED_DEVICE*..8]-(b))
RETURN
  path,
  length(path) AS hops,
  [n IN nodes(path) | coalesce(n.person_id, n.msisdn, n.account_id, n.imei)] AS via
LIMIT $limit
