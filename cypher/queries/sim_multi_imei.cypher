// Title: SIMs used in several handsets
// Description: Phone numbers seen in several devices (IMEI): a SIM moved between handsets,
//   with the first and last time in each.
// Param: case_id STRING, e.g. "demo": the case (graphkit query fills it in)
// Param: min_devices INTEGER, default 2: fewest handsets for a SIM to be listed
// Returns: msisdn, users, device_count, devices, first, last
MATCH (s:Phone {case_id: $case_id})-[u:USED_DEVICE]->(d:Device)
WITH s, collect(DISTINCT d.imei) AS devices, min(u.first) AS first, max(u.last) AS last
WHERE size(devices) >= $min_devices
OPTIONAL MATCH (owner:Person)-[:USES]->(s)
RETURN
  s.msisdn AS msisdn,
  collect(owner.full_name) AS users,
  size(devices) AS device_count,
  devices,
  first,
  last
ORDER BY device_count DESC, msisdn
