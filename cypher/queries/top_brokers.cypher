// Title: Top brokers
// Description: Actors who sit between others, by betweenness centrality, with their
//   Gould-Fernandez brokerage role, Burt's constraint (low = spans structural holes) and the
//   fragmentation their removal would cause.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: limit INTEGER, default 20: most rows returned
// Returns: actor_id, name, community, betweenness, broker_role, constraint, fragmentation
MATCH (a:Person|Phone)
WHERE a.case_id = $case_id AND a.betweenness IS NOT NULL
RETURN
  coalesce(a.person_id, a.msisdn) AS actor_id,
  a.full_name AS name,
  a.community AS community,
  a.betweenness AS betweenness,
  a.broker_role AS broker_role,
  a.constraint AS burt_constraint,
  a.fragmentation AS fragmentation
ORDER BY betweenness DESC
LIMIT $limit
