// Title: Time wheel of an actor
// Description: When an actor's phones are in use: calls and texts (either direction) by day
//   of week and hour of day, in UTC, summed over the hour-of-week profiles of the actor's
//   phones (Phone.hour_of_week; a person's phones are those whose latest user (USES last,
//   then the smallest person id) the person is, as in the actor graph). One row per day, Monday
//   first, with its 24 hourly counts. graphkit's time wheel (`graphkit show CASE activity`,
//   activity_matrix) counts the same records, in the case's time zone unless told UTC; a
//   call between two of the actor's own phones counts there once, here once per phone.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: actor_id STRING, e.g. "P-N3": a person id, or a phone number (E.164) for a phone actor
// Returns: actor_id, name, phones, day, events, by_hour (24 counts, hour 0 first)
OPTIONAL MATCH (person:Person {case_id: $case_id, person_id: $actor_id})
OPTIONAL MATCH (phone:Phone {case_id: $case_id, msisdn: $actor_id})
WITH coalesce(person, phone) AS a
WHERE a IS NOT NULL
OPTIONAL MATCH (a)-[:USES]->(used:Phone)
CALL (used) {
  OPTIONAL MATCH (o:Person)-[u:USES]->(used)
  RETURN o AS owner ORDER BY u.last IS NULL, u.last DESC, o.person_id LIMIT 1
}
WITH a, collect(DISTINCT CASE WHEN owner = a THEN used END) AS used
WITH a, CASE WHEN a:Phone THEN [a] ELSE used END AS phones
UNWIND range(0, 6) AS d
WITH a, phones, d,
  [h IN range(0, 23) |
    toInteger(reduce(n = 0.0, p IN phones | n + coalesce(p.hour_of_week[d * 24 + h], 0.0)))]
    AS by_hour
RETURN
  coalesce(a.person_id, a.msisdn) AS actor_id,
  coalesce(a.full_name, a.msisdn) AS name,
  [p IN phones | p.msisdn] AS phones,
  ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][d] AS day,
  reduce(s = 0, n IN by_hour | s + n) AS events,
  by_hour
ORDER BY d
