// Title: Find actors by name, alias or phone
// Description: People (and phones attributed to no one) whose names or aliases hold words
//   starting with every word typed, in any case and order ("salv greco" finds Salvatore
//   Greco; served by the full-text index actor_search), or whose number ends with the digits
//   typed, in any format ("07700 900123" finds +447700900123). With their phones, community
//   and leadership; matched_on says which. The starting point of most questions.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: text STRING, e.g. "montagna": words of a name or alias, or a phone number
// Param: limit INTEGER, default 25: most rows returned
// Returns: actor_id, name, aliases, phones, community, leadership, matched_on
WITH
  [w IN split(toLower(trim($text)), ' ') WHERE w <> '' |
    reduce(s = w, c IN ['\\', '+', '-', '&', '|', '!', '(', ')', '{', '}', '[', ']', '^', '"',
                        '~', '*', '?', ':', '/'] | replace(s, c, '\\' + c))] AS words,
  reduce(d = '', c IN split($text, '') |
    d + CASE WHEN c IN ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] THEN c ELSE '' END
  ) AS digits
CALL (words, digits) {
  WITH words WHERE size(words) > 0
  CALL db.index.fulltext.queryNodes(
    'actor_search', reduce(q = '', w IN words | q + ' +' + w + '*')
  ) YIELD node
  WHERE node.case_id = $case_id
  RETURN node, 'name' AS matched_on
  UNION
  WITH digits WHERE size(digits) >= 6
  MATCH (node:Phone)
  WHERE node.case_id = $case_id AND node.msisdn ENDS WITH right(digits, 9)
  RETURN node, 'phone' AS matched_on
}
OPTIONAL MATCH (user:Person)-[:USES]->(node:Phone)
WHERE user.case_id = $case_id
WITH coalesce(user, node) AS actor, collect(DISTINCT matched_on) AS matched
OPTIONAL MATCH (actor:Person)-[:USES]->(ph:Phone)
WITH actor, matched, collect(DISTINCT ph.msisdn) AS used
RETURN
  coalesce(actor.person_id, actor.msisdn) AS actor_id,
  coalesce(actor.full_name, actor.msisdn) AS name,
  actor.aliases AS aliases,
  CASE WHEN actor:Person THEN used ELSE [actor.msisdn] END AS phones,
  actor.community AS community,
  actor.leadership AS leadership,
  matched AS matched_on
ORDER BY leadership DESC, name
LIMIT $limit
