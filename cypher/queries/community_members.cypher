// Title: Members of a community
// Description: The actors of one community with their hierarchy level, leadership score,
//   brokerage role, most likely superior and how firmly they belong to the community.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: community_id STRING, e.g. "C0": the community (see leaders_per_community)
// Returns: actor_id, name, level, leadership, broker_role, superior, pagerank, betweenness,
//   membership_confidence
MATCH (a)-[m:MEMBER_OF]->(c:Community {case_id: $case_id, community_id: $community_id})
RETURN
  coalesce(a.person_id, a.msisdn) AS actor_id,
  a.full_name AS name,
  a.level AS level,
  a.leadership AS leadership,
  a.broker_role AS broker_role,
  a.superior AS superior,
  a.pagerank AS pagerank,
  a.betweenness AS betweenness,
  m.confidence AS membership_confidence
ORDER BY level, leadership DESC
