// Title: Leaders per community
// Description: The top actors of every community by leadership score, largest communities
//   first. Leadership is a model score (hierarchy from communication direction and volume):
//   a lead for the investigator, not a finding.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: top INTEGER, default 3: leaders listed per community
// Param: min_size INTEGER, default 3: smallest community listed
// Returns: community, size, position, actor_id, name, leadership, level, pagerank
MATCH (a)-[:MEMBER_OF]->(c:Community {case_id: $case_id})
WHERE c.size >= $min_size AND a.leadership IS NOT NULL
WITH c, a
ORDER BY a.leadership DESC
WITH c, collect(a)[0..$top] AS leaders
UNWIND range(0, size(leaders) - 1) AS i
WITH c, i, leaders[i] AS a
RETURN
  c.community_id AS community,
  c.size AS size,
  i + 1 AS position,
  coalesce(a.person_id, a.msisdn) AS actor_id,
  a.full_name AS name,
  a.leadership AS leadership,
  a.level AS level,
  a.pagerank AS pagerank
ORDER BY size DESC, community, position
