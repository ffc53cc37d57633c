// Title: Tower dump: phones seen at a cell in a time window
// Description: Every phone with an event on a cell within a window, with the hours it was
//   seen and its known users. Where the case has no hourly detail for a phone on the cell,
//   the phone is listed when its first-to-last span on the cell overlaps the window
//   (hours_seen = 0: possible presence only).
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: cell_id STRING, e.g. "CELL-03": the cell
// Param: from DATETIME, e.g. "2024-03-01T00:00:00Z": window start (UTC)
// Param: to DATETIME, e.g. "2024-04-01T00:00:00Z": window end (UTC)
// Returns: phone, users, hours_seen, first_in_window, last_in_window, events_on_cell
MATCH (c:Cell {case_id: $case_id, cell_id: $cell_id})<-[r:CONNECTED_VIA]-(p:Phone)
WITH p, r, [h IN coalesce(r.hours, []) WHERE h >= datetime($from) AND h < datetime($to)] AS hours
WHERE size(hours) > 0
  OR (r.hours IS NULL AND r.first < datetime($to) AND r.last >= datetime($from))
OPTIONAL MATCH (owner:Person)-[:USES]->(p)
RETURN
  p.msisdn AS phone,
  collect(owner.full_name) AS users,
  size(hours) AS hours_seen,
  CASE WHEN size(hours) > 0 THEN hours[0] ELSE r.first END AS first_in_window,
  CASE WHEN size(hours) > 0 THEN hours[-1] ELSE r.last END AS last_in_window,
  r.events AS events_on_cell
ORDER BY hours_seen DESC, phone
