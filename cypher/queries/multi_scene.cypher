// Title: Phones at several scenes (tower-dump intersection)
// Description: Phones seen on the cells of at least min_scenes of the given scenes within
//   each scene's window, with the hours they were seen at each and their known users; the
//   multi-scene list of `graphkit scenes`, scenes given as in its scene file (name, cells,
//   start, end). The graph keeps the hours in which a phone had an event on a cell
//   (CONNECTED_VIA hours, caller's cell), not each record: a phone counts at a scene when
//   one of those hours overlaps the window. With windows on whole hours (start at HH:00:00,
//   end at HH:59:59) the list is exactly `graphkit scenes`' multi-scene list; otherwise it
//   may add a phone seen in the same hour just outside a window. Where a phone has no hourly
//   detail on a cell, its first-to-last span there is used (cell_hours 0: possible presence).
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: scenes LIST<MAP>, e.g. [{"name":"S1","cells":["CELL-03"],"start":"2024-03-05T14:00:00Z","end":"2024-03-05T15:59:59Z"},{"name":"S2","cells":["CELL-07","CELL-08"],"start":"2024-03-12T20:00:00Z","end":"2024-03-12T21:59:59Z"}]: the scenes, each a name, its cell ids and its window (start, end: ISO 8601, UTC)
// Param: min_scenes INTEGER, default 2: fewest scenes a phone must be seen at
// Param: limit INTEGER, default 200: most rows returned
// Returns: phone, users, n_scenes, scenes (per scene: scene, first_hour, last_hour,
//   cell_hours: hours with an event in the window, summed over the scene's cells)
UNWIND $scenes AS scene
WITH scene, datetime(scene.start) AS t0, datetime(scene.end) AS t1
UNWIND scene.cells AS cell_id
MATCH (c:Cell {case_id: $case_id, cell_id: cell_id})<-[r:CONNECTED_VIA]-(p:Phone)
WITH p, scene.name AS scene_name, r, t0, t1,
  [h IN coalesce(r.hours, []) WHERE h + duration('PT1H') > t0 AND h <= t1] AS hours
WHERE size(hours) > 0 OR (r.hours IS NULL AND r.first <= t1 AND r.last >= t0)
WITH p, scene_name,
  min(CASE WHEN size(hours) > 0 THEN hours[0] ELSE r.first END) AS first_hour,
  max(CASE WHEN size(hours) > 0 THEN hours[-1] ELSE r.last END) AS last_hour,
  sum(size(hours)) AS cell_hours
ORDER BY first_hour, scene_name
WITH p, collect({scene: scene_name, first_hour: first_hour, last_hour: last_hour,
  cell_hours: cell_hours}) AS scenes
WHERE size(scenes) >= $min_scenes
OPTIONAL MATCH (owner:Person)-[:USES]->(p)
RETURN
  p.msisdn AS phone,
  collect(owner.full_name) AS users,
  size(scenes) AS n_scenes,
  scenes
ORDER BY n_scenes DESC, phone
LIMIT $limit
