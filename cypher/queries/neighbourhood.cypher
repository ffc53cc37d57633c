// Title: Neighbourhood of an actor
// Description: Everything within a few hops of an actor through observed ties (phones used,
//   calls, contacts, accounts held, transfers, shared handsets, suspected same users); shown
//   as a graph in Browser. Hypothetical PREDICTED_LINK ties are left out on purpose.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: actor_id STRING, e.g. "P-N3": a person id, or a phone number for a phone actor
// Param: hops INTEGER, default 2: hops from the actor, 1 to 3
// Param: limit INTEGER, default 300: most paths returned
// Returns: path, hops, and the label and key of the node reached
OPTIONAL MATCH (person:Person {case_id: $case_id, person_id: $actor_id})
OPTIONAL MATCH (phone:Phone {case_id: $case_id, msisdn: $actor_id})
WITH coalesce(person, phone) AS a
WHERE a IS NOT NULL
MATCH path = (a)-[:USES|CALLED|CONTACT|HOLDS|TRANSFERRED|USED_DEVICE|SAME_USER_AS*1..3]-(b)
WHERE length(path) <= $hops
RETURN
  path,
  length(path) AS hops,
  labels(b)[0] AS label,
  coalesce(b.person_id, b.msisdn, b.account_id, b.imei) AS reached
ORDER BY hops
LIMIT $limit
