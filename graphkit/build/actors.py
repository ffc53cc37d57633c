"""The actor graph: people, plus phones attributed to no one, and the ties between them.

Tables (rebuilt by every ``build``):

* ``actor(actor_id, kind, phones)``: ``kind`` is ``person`` (a resolved Person), ``phone`` (a
  number no person is known to use) or ``other`` (an identifier that appears only as the end
  of a contact tie and is neither a phone nor a person, e.g. a suspect code in a wiretap
  summary). ``phones`` lists the numbers the actor uses.
* ``actor_edge(src, dst, layer, weight, count, amount, first, last)``: one row per ordered
  actor pair and layer. Layers: ``calls`` and ``sms`` (weight = number of events),
  ``money`` (transfers between accounts held by two persons; weight = number of transfers,
  ``amount`` their sum over currencies), ``contact:<kind>`` (pre-aggregated ties; weight =
  summed tie weight). Ties between an actor's own phones are dropped.

A phone belongs to a person when the resolution stage has recorded ``USES``; a phone used by
several people is given to the one with the latest use (then the smallest person id), so the
map is a function and deterministic. With accepted SAME_USER_AS hypotheses (``status =
'confirmed'``) and no resolution, the phones of one user are joined under the smallest number.
"""

from __future__ import annotations

import logging

import duckdb

__all__ = ["ACTOR_TABLES", "build_actor_graph"]

log = logging.getLogger(__name__)

ACTOR_TABLES = ("actor", "actor_edge")


def _phone_map(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``phone_actor(msisdn, actor_id)`` for every phone attributed to someone."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE phone_actor AS
        SELECT dst AS msisdn, first(src ORDER BY last DESC NULLS LAST, src) AS actor_id
        FROM rel_uses GROUP BY dst
    """)
    # Confirmed burner hand-offs: both numbers go to one actor (the person if known, else the
    # smallest number of the confirmed pair).
    con.execute("""
        INSERT INTO phone_actor
        WITH pairs AS (
            SELECT least(src, dst) AS a, greatest(src, dst) AS b
            FROM rel_same_user_as WHERE status = 'confirmed'
        )
        SELECT p.b, coalesce(pa.actor_id, p.a) FROM pairs p
        LEFT JOIN phone_actor pa ON pa.msisdn = p.a
        WHERE p.b NOT IN (SELECT msisdn FROM phone_actor)
        QUALIFY row_number() OVER (PARTITION BY p.b ORDER BY p.a) = 1
    """)


def build_actor_graph(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """(Re)build ``actor`` and ``actor_edge`` from the knowledge-graph tables."""
    _phone_map(con)
    con.execute("""
        CREATE OR REPLACE TEMP VIEW contact_ends AS
        SELECT src AS id FROM rel_contact UNION SELECT dst FROM rel_contact
    """)
    con.execute("""
        CREATE OR REPLACE TABLE actor AS
        WITH persons AS (
            SELECT p.person_id AS actor_id, 'person' AS kind,
                   coalesce(list(pa.msisdn ORDER BY pa.msisdn)
                            FILTER (WHERE pa.msisdn IS NOT NULL), []) AS phones
            FROM node_person p LEFT JOIN phone_actor pa ON pa.actor_id = p.person_id
            GROUP BY p.person_id
        ),
        phones AS (
            SELECT coalesce(pa.actor_id, ph.msisdn) AS actor_id, 'phone' AS kind,
                   list(ph.msisdn ORDER BY ph.msisdn) AS phones
            FROM node_phone ph LEFT JOIN phone_actor pa USING (msisdn)
            WHERE pa.actor_id IS NULL OR pa.actor_id NOT IN (SELECT person_id FROM node_person)
            GROUP BY ALL
        ),
        others AS (
            SELECT id AS actor_id, 'other' AS kind, []::VARCHAR[] AS phones FROM contact_ends
            WHERE id NOT IN (SELECT msisdn FROM node_phone)
              AND id NOT IN (SELECT person_id FROM node_person)
              AND id NOT IN (SELECT actor_id FROM phone_actor)
        )
        SELECT * FROM persons UNION ALL SELECT * FROM phones UNION ALL SELECT * FROM others
        ORDER BY actor_id
    """)
    con.execute("""
        CREATE OR REPLACE TABLE actor_edge AS
        WITH a AS (SELECT msisdn, actor_id FROM phone_actor),
        calls AS (
            SELECT coalesce(s.actor_id, c.src) AS src, coalesce(d.actor_id, c.dst) AS dst,
                   c.calls, c.sms, c.first, c.last
            FROM rel_called c LEFT JOIN a s ON s.msisdn = c.src LEFT JOIN a d ON d.msisdn = c.dst
        ),
        holder AS (
            SELECT dst AS account_id, min(src) AS person_id FROM rel_holds GROUP BY dst
        ),
        ties AS (
            SELECT src, dst, 'calls' AS layer, calls::DOUBLE AS weight, calls AS n,
                   NULL::DOUBLE AS amount, first, last FROM calls WHERE calls > 0
            UNION ALL
            SELECT src, dst, 'sms', sms::DOUBLE, sms, NULL, first, last FROM calls WHERE sms > 0
            UNION ALL
            SELECT hs.person_id, hd.person_id, 'money', t.count::DOUBLE, t.count, t.amount,
                   t.first, t.last
            FROM rel_transferred t JOIN holder hs ON hs.account_id = t.src
            JOIN holder hd ON hd.account_id = t.dst
            UNION ALL
            SELECT coalesce(s.actor_id, c.src), coalesce(d.actor_id, c.dst),
                   'contact:' || coalesce(c.kind, 'contact'), c.weight, 1, NULL, c.first, c.last
            FROM rel_contact c LEFT JOIN a s ON s.msisdn = c.src LEFT JOIN a d ON d.msisdn = c.dst
        )
        SELECT src, dst, layer, sum(weight) AS weight, sum(n)::BIGINT AS count,
               sum(amount) AS amount, min(first) AS first, max(last) AS last
        FROM ties WHERE src <> dst
        GROUP BY src, dst, layer
        ORDER BY src, dst, layer
    """)
    counts = {}
    for table in ACTOR_TABLES:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    log.info("actor graph: %s", counts)
    return counts
