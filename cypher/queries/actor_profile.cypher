// Title: Actor profile
// Description: One actor (a resolved person, or a phone attributed to no one) with its phones,
//   accounts, source records and the sources they came from, its community and analysis scores.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: actor_id STRING, e.g. "P-N3": a person id, or a phone number (E.164) for a phone actor
// Returns: one row: actor_id, label, name, aliases, dob, phones, accounts, records, sources,
//   community, pagerank, betweenness, leadership, level, broker_role, went_dark
OPTIONAL MATCH (person:Person {case_id: $case_id, person_id: $actor_id})
OPTIONAL MATCH (phone:Phone {case_id: $case_id, msisdn: $actor_id})
WITH coalesce(person, phone) AS a
WHERE a IS NOT NULL
OPTIONAL MATCH (a)-[:USES]->(used:Phone)
WITH a, collect(DISTINCT used.msisdn) AS phones
OPTIONAL MATCH (a)-[:HOLDS]->(acc:Account)
WITH a, phones, collect(DISTINCT acc.account_id) AS accounts
OPTIONAL MATCH (a)-[:RESOLVED_FROM]->(rec:Record)
WITH a, phones, accounts, collect(DISTINCT rec.record_id) AS records,
  collect(DISTINCT rec.source) AS sources
RETURN
  coalesce(a.person_id, a.msisdn) AS actor_id,
  labels(a)[0] AS label,
  a.full_name AS name,
  a.aliases AS aliases,
  a.dob AS dob,
  CASE WHEN a:Phone THEN [a.msisdn] ELSE phones END AS phones,
  accounts,
  records,
  sources,
  a.community AS community,
  a.pagerank AS pagerank,
  a.betweenness AS betweenness,
  a.leadership AS leadership,
  a.level AS level,
  a.broker_role AS broker_role,
  a.went_dark AS went_dark
