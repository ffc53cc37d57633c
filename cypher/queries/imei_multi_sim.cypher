// Title: Handsets used with several SIMs
// Description: Devices (IMEI) in which several phone numbers were seen: a sign of SIM swapping
//   to evade interception, or of a shared handset.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: min_sims INTEGER, default 2: fewest SIMs for a handset to be listed
// Returns: imei, valid_imei, sim_count, sims, first, last
MATCH (s:Phone)-[u:USED_DEVICE]->(d:Device {case_id: $case_id})
WITH d, collect(DISTINCT s.msisdn) AS sims, min(u.first) AS first, max(u.last) AS last
WHERE size(sims) >= $min_sims
RETURN d.imei AS imei, d.valid_imei AS valid_imei, size(sims) AS sim_count, sims, first, last
ORDER BY sim_count DESC, imei
