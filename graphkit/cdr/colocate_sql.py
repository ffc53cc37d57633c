"""The SQL of :mod:`graphkit.cdr.colocate`, run in this order on one connection: the
sightings with integer ids (:data:`SIGHTINGS`), the pairs of near cells (:data:`NEAR_SAME_CELL`
or :data:`NEAR_TOWERS`), the co-present sightings and their pairs (:data:`HITS`), the pairs
with enough unusual occasions (:data:`PREFILTER`), their chances and probabilities
(:data:`CHANCE_STEPS`) and one row per pair (:data:`CHANCES`). Every table is a temporary
table named here; every user value is a ``$parameter``.
"""

from __future__ import annotations

__all__ = [
    "CALLEE_SIDE",
    "CHANCES",
    "CHANCE_STEPS",
    "DAY_S",
    "HITS",
    "NEAR_SAME_CELL",
    "NEAR_TOWERS",
    "PREFILTER",
    "SIGHTINGS",
    "TEMP_TABLES",
]

DAY_S = 86_400

# phones and cells become integers (colo_phone, colo_cell): joins and sorts on numbers
SIGHTINGS = """
    CREATE OR REPLACE TEMP TABLE colo_raw AS
    SELECT caller AS phone, cell_id AS cell, start AS ts,
           CAST(floor(epoch(start)) AS BIGINT) AS t
    FROM src_cdr
    WHERE NOT coalesce(is_duplicate, false) AND caller IS NOT NULL
      AND cell_id IS NOT NULL AND start IS NOT NULL
    {callee_side};
    CREATE OR REPLACE TEMP TABLE colo_phone AS
    SELECT phone AS name, CAST(row_number() OVER (ORDER BY phone) AS INTEGER) AS id
    FROM (SELECT DISTINCT phone FROM colo_raw);
    CREATE OR REPLACE TEMP TABLE colo_cell AS
    SELECT cell AS name, CAST(row_number() OVER (ORDER BY cell) AS INTEGER) AS id
    FROM (SELECT DISTINCT cell FROM colo_raw);
    CREATE OR REPLACE TEMP TABLE colo_sight AS
    SELECT CAST(row_number() OVER (ORDER BY r.t, p.id, c.id) AS INTEGER) AS sid,
           p.id AS phone, c.id AS cell, r.t, r.t // {day} AS day, r.t // $w AS bucket,
           CASE WHEN dayofweek(r.ts) IN (0, 6) THEN 8 ELSE 0 END + hour(r.ts) // 3 AS k
    FROM colo_raw r JOIN colo_phone p ON p.name = r.phone JOIN colo_cell c ON c.name = r.cell;
    DROP TABLE colo_raw;
"""
CALLEE_SIDE = """
    UNION ALL
    SELECT callee, callee_cell_id, start, CAST(floor(epoch(start)) AS BIGINT) FROM src_cdr
    WHERE NOT coalesce(is_duplicate, false) AND callee IS NOT NULL
      AND callee_cell_id IS NOT NULL AND start IS NOT NULL
"""
# each sighting under the three buckets a partner within the window can fall in
TEMP_TABLES = ("colo_sight", "colo_phone", "colo_cell", "colo_near", "colo_hit", "colo_hit_pairs")
SHIFTED = "(SELECT *, unnest([bucket - 1, bucket, bucket + 1]) AS jb FROM colo_sight)"

NEAR_SAME_CELL = """
    CREATE OR REPLACE TEMP TABLE colo_near AS
    SELECT DISTINCT cell AS c1, cell AS c2 FROM colo_sight
"""
NEAR_TOWERS = """
    CREATE OR REPLACE TEMP TABLE colo_near AS
    WITH pos AS (
        SELECT c.id AS cell, any_value(t.lat) AS lat, any_value(t.lon) AS lon
        FROM src_towers t JOIN colo_cell c ON c.name = t.cell_id
        WHERE NOT coalesce(t.is_duplicate, false) AND t.lat IS NOT NULL AND t.lon IS NOT NULL
        GROUP BY c.id
    )
    SELECT DISTINCT cell AS c1, cell AS c2 FROM colo_sight
    UNION
    SELECT a.cell, b.cell FROM pos a JOIN pos b
      ON b.lat BETWEEN a.lat - $dlat AND a.lat + $dlat
    WHERE 2 * $r * asin(sqrt(
            pow(sin(radians(b.lat - a.lat) / 2), 2)
            + cos(radians(a.lat)) * cos(radians(b.lat)) * pow(sin(radians(b.lon - a.lon) / 2), 2)
          )) <= $dist
"""

# co-present sightings of two phones (a.phone < b.phone), grouped into occasions per pair
HITS = f"""
    CREATE OR REPLACE TEMP TABLE colo_hit AS
    SELECT a.phone AS pa, b.phone AS pb, least(a.t, b.t) AS t0, a.cell AS ca, b.cell AS cb,
           a.k AS ka, a.day AS da, b.k AS kb, b.day AS db
    FROM colo_sight a
    JOIN colo_near n ON n.c1 = a.cell
    JOIN {SHIFTED} b ON b.cell = n.c2 AND b.jb = a.bucket
    WHERE a.phone < b.phone AND abs(a.t - b.t) <= $w;
    CREATE OR REPLACE TEMP TABLE colo_hit_pairs AS
    WITH gaps AS (
        SELECT pa, pb,
               coalesce(t0 - lag(t0) OVER (PARTITION BY pa, pb ORDER BY t0) > $gap, true) AS new
        FROM colo_hit
    )
    SELECT pa, pb, count(*) FILTER (WHERE new) AS occasions FROM gaps GROUP BY pa, pb
"""

# every chance (two sightings within the window, any cells) of the candidate pairs, with its
# null probability: the sum over cells c of P(A on c) * P(B on a cell near c), each phone's
# share in the chance's time class from its other days
# P(phone on cell | class k) for the (phone, cell, k, day) rows of `needed`, from the days
# other than `day` (on which the phone was active in class k), shrunk towards the all-hours
# share (with $unseen of a day added: never impossible)
PROB = """    tot_kd AS (SELECT DISTINCT phone, k, day, 1 AS n FROM colo_cnt),
    tot_k AS (SELECT phone, k, count(*) AS n FROM tot_kd GROUP BY ALL),
    tot_d AS (SELECT DISTINCT phone, day, 1 AS n FROM colo_cnt),
    tot AS (SELECT phone, count(*) AS n FROM tot_d GROUP BY ALL),
    cell_k AS (SELECT phone, cell, k, count(*) AS n FROM colo_cnt GROUP BY ALL),
    cell_d AS (SELECT DISTINCT phone, cell, day, 1 AS n FROM colo_cnt),
    cell_all AS (SELECT phone, cell, count(*) AS n FROM cell_d GROUP BY ALL),
    SELECT d.phone, d.cell, d.k, d.day,
           (coalesce(ck.n, 0) - coalesce(ckd.n, 0)
            + $prior * (ca.n - coalesce(cd.n, 0) + $unseen) / tt.n)
           / (tk.n - 1 + $prior) AS p
    FROM needed d
    JOIN tot tt ON tt.phone = d.phone
    JOIN tot_k tk ON tk.phone = d.phone AND tk.k = d.k
    JOIN cell_all ca ON ca.phone = d.phone AND ca.cell = d.cell
    LEFT JOIN cell_d cd ON cd.phone = d.phone AND cd.cell = d.cell AND cd.day = d.day
    LEFT JOIN cell_k ck ON ck.phone = d.phone AND ck.cell = d.cell AND ck.k = d.k
    LEFT JOIN colo_cnt ckd ON ckd.phone = d.phone AND ckd.cell = d.cell AND ckd.k = d.k
                          AND ckd.day = d.day
"""
# the pairs with min_times unusual occasions among their co-present sightings alone (a
# superset of those with min_times unusual occasions: only they can be reported)
PREFILTER = (
    ("colo_cnt", "SELECT DISTINCT phone, cell, k, day, 1 AS n FROM colo_sight"),
    (
        "colo_hit_prob",
        """
    WITH needed AS (
        SELECT DISTINCT pa AS phone, ca AS cell, ka AS k, da AS day FROM colo_hit
        UNION SELECT DISTINCT pb, cb, kb, db FROM colo_hit
    ),
"""
        + PROB,
    ),
    # the hits of pairs seen together often enough, on their own first: joined in one
    # statement with the two probability lookups, DuckDB chose a join order that took 200 s
    # instead of 1 s at 10M records inside the write transaction (bench/cdr_tools.py)
    (
        "colo_hit_kept",
        """
    SELECT h.* FROM colo_hit h
    SEMI JOIN colo_hit_pairs hp ON hp.pa = h.pa AND hp.pb = h.pb AND hp.occasions >= $min_times
    """,
    ),
    (
        "colo_cand",
        """
    WITH unusual AS (
        SELECT h.pa, h.pb, h.t0 FROM colo_hit_kept h
        JOIN colo_hit_prob a ON a.phone = h.pa AND a.cell = h.ca AND a.k = h.ka AND a.day = h.da
        JOIN colo_hit_prob b ON b.phone = h.pb AND b.cell = h.cb AND b.k = h.kb AND b.day = h.db
        WHERE a.p * b.p <= $rare
    ),
    gaps AS (
        SELECT pa, pb,
               coalesce(t0 - lag(t0) OVER (PARTITION BY pa, pb ORDER BY t0) > $gap, true) AS new
        FROM unusual
    )
    SELECT pa, pb FROM gaps GROUP BY pa, pb HAVING count(*) FILTER (WHERE new) >= $min_times
    """,
    ),
)
CHANCE_STEPS = (
    (
        "colo_chance",
        f"""
        SELECT c.pa, c.pb, a.sid AS sa, b.sid AS sb, a.t AS ta, a.cell AS ca, a.k AS ka,
               a.day AS da, b.t AS tb, b.cell AS cb, b.k AS kb, b.day AS db
        FROM colo_cand c
        JOIN colo_sight a ON a.phone = c.pa
        JOIN {SHIFTED} b ON b.phone = c.pb AND b.jb = a.bucket
        WHERE abs(a.t - b.t) <= $w
    """,
    ),
    ("colo_cells_of", "SELECT DISTINCT phone, cell FROM colo_cnt"),
    (
        "colo_pair_cells",
        """
        SELECT c.pa, c.pb, x.cell AS c_a, y.cell AS c_b
        FROM colo_cand c
        JOIN colo_cells_of x ON x.phone = c.pa
        JOIN colo_near nn ON nn.c1 = x.cell
        JOIN colo_cells_of y ON y.phone = c.pb AND y.cell = nn.c2
    """,
    ),
    ("colo_keys", "SELECT DISTINCT pa, pb, ka, da, kb, db FROM colo_chance"),
    (
        "colo_prob",
        """
    WITH needed AS (  -- (phone, cell, class, day) whose probability some chance needs
        SELECT DISTINCT k.pa AS phone, pc.c_a AS cell, k.ka AS k, k.da AS day
        FROM colo_keys k JOIN colo_pair_cells pc ON pc.pa = k.pa AND pc.pb = k.pb
        UNION
        SELECT DISTINCT k.pb, pc.c_b, k.kb, k.db
        FROM colo_keys k JOIN colo_pair_cells pc ON pc.pa = k.pa AND pc.pb = k.pb
    ),
"""
        + PROB,
    ),
)
CHANCES = """
    WITH null_q AS (  -- per pair, class and day of each side: the null probability of
                      -- meeting on an unusual pair of cells (both there with probability
                      -- at most $rare)
        SELECT k.pa, k.pb, k.ka, k.da, k.kb, k.db,
               least(coalesce(sum(a.p * b.p) FILTER (WHERE a.p * b.p <= $rare), 0), 1) AS q
        FROM colo_keys k
        JOIN colo_pair_cells pc ON pc.pa = k.pa AND pc.pb = k.pb
        JOIN colo_prob a ON a.phone = k.pa AND a.cell = pc.c_a AND a.k = k.ka AND a.day = k.da
        JOIN colo_prob b ON b.phone = k.pb AND b.cell = pc.c_b AND b.k = k.kb AND b.day = k.db
        GROUP BY ALL
    ),
    scored AS (
        SELECT ch.*, coalesce(nq.q, 0.0) AS q, nr.c1 IS NOT NULL AS together,
               nr.c1 IS NOT NULL AND a.p * b.p <= $rare AS unusual,
               CASE WHEN nr.c1 IS NOT NULL THEN a.p * b.p END AS r,
               least(ch.ta, ch.tb) AS t0
        FROM colo_chance ch
        LEFT JOIN null_q nq ON nq.pa = ch.pa AND nq.pb = ch.pb AND nq.ka = ch.ka
                           AND nq.da = ch.da AND nq.kb = ch.kb AND nq.db = ch.db
        LEFT JOIN colo_near nr ON nr.c1 = ch.ca AND nr.c2 = ch.cb
        LEFT JOIN colo_prob a ON a.phone = ch.pa AND a.cell = ch.ca AND a.k = ch.ka
                             AND a.day = ch.da
        LEFT JOIN colo_prob b ON b.phone = ch.pb AND b.cell = ch.cb AND b.k = ch.kb
                             AND b.day = ch.db
    ),
    opp AS (
        SELECT *, sum(CASE WHEN new THEN 1 ELSE 0 END)
                      OVER (PARTITION BY pa, pb ORDER BY t0, sa, sb) AS opp
        FROM (
            SELECT *, coalesce(t0 - lag(t0) OVER (PARTITION BY pa, pb ORDER BY t0, sa, sb)
                               > $gap, true) AS new
            FROM scored
        )
    ),
    per_opp AS (  -- each phone's whereabouts: one draw per window-long slot of the opportunity
        SELECT pa, pb, opp, bool_or(together) AS together, bool_or(unusual) AS unusual,
               1 - pow(1 - max(q), count(DISTINCT t0 // $w)) AS p_opp,
               min(r) FILTER (WHERE together) AS r,
               min(t0) FILTER (WHERE together) AS first,
               max(greatest(ta, tb)) FILTER (WHERE together) AS last,
               list(DISTINCT ca) FILTER (WHERE together) AS cells_a,
               list(DISTINCT cb) FILTER (WHERE together) AS cells_b,
               count(*) FILTER (WHERE together) AS records
        FROM opp GROUP BY pa, pb, opp
    ),
    result AS (
        SELECT pa, pb, count(*) AS opportunities,
               count(*) FILTER (WHERE together) AS together,
               count(*) FILTER (WHERE unusual) AS occasions,
               sum(p_opp) AS expected,
               list({'first': first, 'last': last,
                     'cells': list_distinct(list_concat(cells_a, cells_b)),
                     'records': records, 'unusual': unusual, 'chance': r} ORDER BY first)
                   FILTER (WHERE together) AS seen
        FROM per_opp GROUP BY pa, pb
        HAVING count(*) FILTER (WHERE unusual) >= $min_times
    )
    SELECT x.name AS pa, y.name AS pb, r.* EXCLUDE (pa, pb)
    FROM result r JOIN colo_phone x ON x.id = r.pa JOIN colo_phone y ON y.id = r.pb
    ORDER BY x.name, y.name
"""
