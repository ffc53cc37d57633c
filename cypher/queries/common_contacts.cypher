// Title: Common contacts of several phones
// Description: Phones that called or were called by at least min_shared of the given phones,
//   with the number of calls and messages exchanged and the contact's known user.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: msisdns LIST<STRING>, e.g. ["+393300000014", "+393300000018"]: the phones (E.164)
// Param: min_shared INTEGER, default 2: how many of the phones a contact must share
// Param: limit INTEGER, default 100: most rows returned
// Returns: contact, used_by, shared_with, shared_count, events
MATCH (p:Phone)-[r:CALLED]-(c:Phone)
WHERE p.case_id = $case_id AND p.msisdn IN $msisdns AND NOT c.msisdn IN $msisdns
WITH c, collect(DISTINCT p.msisdn) AS shared_with,
  sum(coalesce(r.calls, 0) + coalesce(r.sms, 0)) AS events
WHERE size(shared_with) >= $min_shared
OPTIONAL MATCH (owner:Person)-[:USES]->(c)
RETURN
  c.msisdn AS contact,
  collect(owner.full_name) AS used_by,
  shared_with,
  size(shared_with) AS shared_count,
  events
ORDER BY shared_count DESC, events DESC
LIMIT $limit
