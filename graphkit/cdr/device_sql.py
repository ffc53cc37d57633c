"""The SQL of :mod:`graphkit.cdr.devices` (DuckDB). No user value is formatted into these
strings: ``{towers}`` is one of this module's two constants, thresholds are parameters.

:data:`SEQUENCE` reads the call records once and sorts each number's records in time order,
one window pass: for every record the previous one that had a handset (``prev_h``) and the
previous one on a cell with a position (``prev_p``). The SIM-moved, handset-return and
travel queries read that temporary table; only the handset-side query needs a second pass.
"""

from __future__ import annotations

__all__ = [
    "HANDSET_SWAPS",
    "NO_TOWERS",
    "PHONE_SWAPS",
    "RETURNS",
    "SEQUENCE",
    "TOWERS",
    "TRAVEL",
]

TOWERS = """
    SELECT cell_id, avg(lat) AS lat, avg(lon) AS lon FROM src_towers
    WHERE NOT coalesce(is_duplicate, false) AND lat IS NOT NULL AND lon IS NOT NULL
    GROUP BY cell_id
"""
NO_TOWERS = "SELECT NULL::VARCHAR AS cell_id, NULL::DOUBLE AS lat, NULL::DOUBLE AS lon WHERE false"

SEQUENCE = """
    CREATE OR REPLACE TEMP TABLE device_seq AS
    WITH towers AS ({towers}),
    calls AS (
        SELECT c.caller AS phone, c.imei, left(c.imei, 14) AS handset, c.imsi, c.cell_id,
               c.start, c.source_name, c.row_number, t.lat, t.lon
        FROM src_cdr c LEFT JOIN towers t ON t.cell_id = c.cell_id
        WHERE NOT coalesce(c.is_duplicate, false) AND c.caller IS NOT NULL
          AND c.start IS NOT NULL
    )
    SELECT phone, imei, handset, imsi, cell_id, start, source_name, row_number, lat, lon,
           lag(CASE WHEN handset IS NOT NULL THEN struct_pack(
               handset := handset, imei := imei, imsi := imsi, start := start, cell := cell_id)
               END IGNORE NULLS) OVER w AS prev_h,
           lag(CASE WHEN lat IS NOT NULL THEN struct_pack(
               start := start, cell := cell_id, imei := imei, lat := lat, lon := lon)
               END IGNORE NULLS) OVER w AS prev_p
    FROM calls
    WINDOW w AS (PARTITION BY phone ORDER BY start, source_name, row_number)
"""

# a number's handset changes A -> B that happen once and for good: A -> B once, never B -> A,
# no record on A after the change, none on B before it
PHONE_SWAPS = """
    WITH changes AS (
        SELECT phone, prev_h.handset AS old, handset AS new, prev_h.start AS last_old,
               start AS first_new, prev_h.cell AS last_old_cell, cell_id AS first_new_cell,
               prev_h.imei AS old_imei, imei AS new_imei, prev_h.imsi AS old_imsi,
               imsi AS new_imsi
        FROM device_seq
        WHERE handset IS NOT NULL AND prev_h IS NOT NULL AND prev_h.handset <> handset
    ),
    times AS (SELECT phone, old, new, count(*) AS n FROM changes GROUP BY ALL),
    spans AS (
        SELECT phone, handset, count(*) AS n, min(start) AS first, max(start) AS last
        FROM device_seq WHERE handset IS NOT NULL GROUP BY ALL
    )
    SELECT c.*, so.n AS n_old, sn.n AS n_new
    FROM changes c
    JOIN times t ON t.phone = c.phone AND t.old = c.old AND t.new = c.new
    JOIN spans so ON so.phone = c.phone AND so.handset = c.old
    JOIN spans sn ON sn.phone = c.phone AND sn.handset = c.new
    WHERE t.n = 1
      AND NOT EXISTS (SELECT 1 FROM times r WHERE r.phone = c.phone AND r.old = c.new
                      AND r.new = c.old)
      AND so.last = c.last_old AND sn.first = c.first_new
    ORDER BY c.phone, c.first_new
"""

# the same for a handset's numbers X -> Y (its own pass, by handset, over the handsets that
# carried two numbers or more: most carry one)
HANDSET_SWAPS = """
    WITH shared AS (
        SELECT handset FROM device_seq WHERE handset IS NOT NULL
        GROUP BY handset HAVING count(DISTINCT phone) > 1
    ),
    used AS (SELECT * FROM device_seq WHERE handset IN (SELECT handset FROM shared)),
    seq AS (
        SELECT handset, phone, start, cell_id, imei, imsi,
               lag(phone) OVER w AS prev_phone, lag(start) OVER w AS prev_start,
               lag(cell_id) OVER w AS prev_cell, lag(imei) OVER w AS prev_imei,
               lag(imsi) OVER w AS prev_imsi
        FROM used
        WINDOW w AS (PARTITION BY handset ORDER BY start, source_name, row_number)
    ),
    changes AS (SELECT * FROM seq WHERE prev_phone IS NOT NULL AND prev_phone <> phone),
    times AS (
        SELECT handset, prev_phone AS old, phone AS new, count(*) AS n FROM changes GROUP BY ALL
    ),
    spans AS (
        SELECT handset, phone, count(*) AS n, min(start) AS first, max(start) AS last
        FROM used GROUP BY ALL
    )
    SELECT c.handset, c.prev_phone AS old_phone, c.phone AS new_phone, c.prev_start AS last_old,
           c.start AS first_new, c.prev_cell AS last_old_cell, c.cell_id AS first_new_cell,
           c.prev_imei AS old_imei, c.imei AS new_imei, c.prev_imsi AS old_imsi,
           c.imsi AS new_imsi, so.n AS n_old, sn.n AS n_new
    FROM changes c
    JOIN times t ON t.handset = c.handset AND t.old = c.prev_phone AND t.new = c.phone
    JOIN spans so ON so.handset = c.handset AND so.phone = c.prev_phone
    JOIN spans sn ON sn.handset = c.handset AND sn.phone = c.phone
    WHERE t.n = 1
      AND NOT EXISTS (SELECT 1 FROM times r WHERE r.handset = c.handset AND r.old = c.phone
                      AND r.new = c.prev_phone)
      AND so.last = c.prev_start AND sn.first = c.start
    ORDER BY c.handset, c.start
"""

# a number going back to a handset it had used before the one it just left
RETURNS = """
    WITH firsts AS (
        SELECT phone, handset, min(start) AS first FROM device_seq
        WHERE handset IS NOT NULL GROUP BY ALL
    )
    SELECT s.phone, s.prev_h.start AS prev_start, s.start, s.prev_h.imei AS prev_imei, s.imei
    FROM device_seq s JOIN firsts f ON f.phone = s.phone AND f.handset = s.handset
    WHERE s.handset IS NOT NULL AND s.prev_h IS NOT NULL AND s.prev_h.handset <> s.handset
      AND f.first < s.start
    ORDER BY s.phone, s.start
"""

# consecutive placed records too far apart for the time between (haversine, metres)
TRAVEL = """
    WITH hops AS (
        SELECT phone, prev_p.start AS prev_start, start, prev_p.cell AS prev_cell, cell_id,
               prev_p.imei AS prev_imei, imei, epoch(start) - epoch(prev_p.start) AS dt_s,
               2 * $r * asin(sqrt(
                   pow(sin(radians(lat - prev_p.lat) / 2), 2)
                   + cos(radians(prev_p.lat)) * cos(radians(lat))
                     * pow(sin(radians(lon - prev_p.lon) / 2), 2))) AS distance_m
        FROM device_seq
        WHERE lat IS NOT NULL AND prev_p IS NOT NULL AND cell_id <> prev_p.cell
    )
    SELECT phone, prev_start, start, prev_cell, cell_id, prev_imei, imei, dt_s, distance_m,
           (distance_m - $tolerance) / (dt_s + $resolution) * 3.6 AS speed_kmh
    FROM hops
    WHERE distance_m - $tolerance > $max_mps * (dt_s + $resolution)
    ORDER BY phone, start
"""
