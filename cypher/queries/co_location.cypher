// Title: Co-location with a phone
// Description: Other phones seen on the same cell in the same hour as a given phone within a
//   time window, with their known users. Being on one cell is being within the same few
//   kilometres, not meeting: a lead to check.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: msisdn STRING, e.g. "+393300000014": the phone (E.164)
// Param: from DATETIME, e.g. "2024-03-01T00:00:00Z": window start (UTC)
// Param: to DATETIME, e.g. "2024-04-01T00:00:00Z": window end (UTC)
// Param: limit INTEGER, default 200: most rows returned
// Returns: hour, cell, lat, lon, other_phone, other_users
MATCH (p:Phone {case_id: $case_id, msisdn: $msisdn})-[r1:CONNECTED_VIA]->(c:Cell)
MATCH (c)<-[r2:CONNECTED_VIA]-(q:Phone)
WHERE q <> p
UNWIND r1.hours AS hour
WITH c, q, r2, hour
WHERE hour >= datetime($from) AND hour < datetime($to) AND hour IN r2.hours
OPTIONAL MATCH (owner:Person)-[:USES]->(q)
RETURN
  hour,
  c.cell_id AS cell,
  c.lat AS lat,
  c.lon AS lon,
  q.msisdn AS other_phone,
  collect(owner.full_name) AS other_users
ORDER BY hour, cell, other_phone
LIMIT $limit
