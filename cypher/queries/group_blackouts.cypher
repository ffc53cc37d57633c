// Title: Group blackouts
// Description: Communities in which several members went silent within a time window: the
//   members, when each silence started and ended, and the span all of them were silent at once
//   (all_at_once = false when the silences only follow one another). Silences are judged per
//   member against its own rhythm; several at once is the pattern of a planned operation.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: from DATETIME, e.g. "2024-03-01T00:00:00Z": window start (UTC)
// Param: to DATETIME, e.g. "2024-04-01T00:00:00Z": window end (UTC)
// Param: min_members INTEGER, default 2: fewest silent members for a community to be listed
// Returns: community, silent_members, members, starts, ends, overlap_start, overlap_end,
//   all_at_once
MATCH (a:Person|Phone)
WHERE a.case_id = $case_id AND a.blackout_count > 0 AND a.community IS NOT NULL
UNWIND range(0, size(a.blackout_starts) - 1) AS i
WITH a, a.blackout_starts[i] AS silence_start, a.blackout_ends[i] AS silence_end
WHERE silence_start < datetime($to) AND silence_end > datetime($from)
WITH a, silence_start, silence_end
ORDER BY silence_start
WITH
  a.community AS community,
  collect(coalesce(a.person_id, a.msisdn)) AS members,
  collect(silence_start) AS starts,
  collect(silence_end) AS ends,
  max(silence_start) AS overlap_start,
  min(silence_end) AS overlap_end
WHERE size(members) >= $min_members
RETURN
  community,
  size(members) AS silent_members,
  members,
  starts,
  ends,
  overlap_start,
  overlap_end,
  overlap_start < overlap_end AS all_at_once
ORDER BY silent_members DESC, overlap_start
