// Title: Blackouts in a date window
// Description: Significant silences of phones and actors that overlap a time window, judged
//   against each one's own hour-of-week rhythm, with the community of who went silent so that
//   group blackouts stand out; ended = false means the number never came back.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: from DATETIME, e.g. "2024-03-10T00:00:00Z": window start (UTC)
// Param: to DATETIME, e.g. "2024-03-20T00:00:00Z": window end (UTC)
// Returns: kind, id, name, community, silence_start, silence_end, p_value, ended
MATCH (a:Person|Phone)
WHERE a.case_id = $case_id AND a.blackout_count > 0
UNWIND range(0, size(a.blackout_starts) - 1) AS i
WITH a, i, a.blackout_starts[i] AS silence_start, a.blackout_ends[i] AS silence_end
WHERE silence_start < datetime($to) AND silence_end > datetime($from)
RETURN
  labels(a)[0] AS kind,
  coalesce(a.person_id, a.msisdn) AS id,
  a.full_name AS name,
  a.community AS community,
  silence_start,
  silence_end,
  a.blackout_p_values[i] AS p_value,
  a.blackout_ended[i] AS ended
ORDER BY community, silence_start
