// Title: Find actors by name
// Description: Persons whose best name contains a piece of text (case-sensitive, served by the
//   text index on Person.full_name), with their phones; the starting point of most questions.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: name_contains STRING, e.g. "Montagna": text the name contains
// Param: limit INTEGER, default 25: most rows returned
// Returns: person_id, name, aliases, dob, phones, community, leadership
MATCH (p:Person)
WHERE p.case_id = $case_id AND p.full_name CONTAINS $name_contains
OPTIONAL MATCH (p)-[:USES]->(ph:Phone)
RETURN
  p.person_id AS person_id,
  p.full_name AS name,
  p.aliases AS aliases,
  p.dob AS dob,
  collect(ph.msisdn) AS phones,
  p.community AS community,
  p.leadership AS leadership
ORDER BY name
LIMIT $limit
