"""The actor graph: people, plus phones attributed to no one, and the ties between them.

Tables (rebuilt by every ``build``):

* ``actor(actor_id, kind, phones)``: ``kind`` is ``person`` (a resolved Person), ``phone`` (a
  number no person is known to use) or ``other`` (an identifier that appears only as the end
  of a contact tie and is neither a phone nor a person, e.g. a suspect code in a wiretap
  summary). ``phones`` lists the numbers the actor uses.
* ``actor_edge(src, dst, layer, weight, count, amount, first, last, seconds)``: one row per
  ordered actor pair and layer. Layers: ``calls`` and ``sms`` (weight = number of events;
  ``first``/``last`` are the first and last event *of that type*, counted from the CDR events
  as ``rel_called`` is; ``seconds`` the total call duration on ``calls``), ``money``
  (transfers between accounts held by two persons; weight = number of transfers, ``amount``
  their sum over currencies), ``contact:<kind>`` (pre-aggregated ties; weight = summed tie
  weight). Ties between an actor's own phones are dropped.

A phone belongs to a person when the resolution stage has recorded ``USES``; a phone used by
several people is given to the one with the latest use (then the smallest person id), so the
map is a function and deterministic.

Accepted burner hand-offs (SAME_USER_AS rows with ``status = 'confirmed'``, old number -> new
number) join numbers into one user, transitively: the numbers of each connected component of
the confirmed pairs go to one actor (scipy's connected components). If persons use numbers of
the component, every unattributed number of it goes to the person of the component's smallest
attributed number, and attributed numbers keep their person; a component whose numbers belong
to several persons is a *conflict* (counted and logged: entity resolution may have missed a
merge). If no person does, the component's numbers join under its smallest number (an actor
of kind ``phone`` listing them all). Rows still ``hypothesis`` or ``rejected`` never change the
actor graph, and ``confirmed_handoffs=False`` builds it without the confirmed ones as well.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import duckdb

from graphkit.build.knowledge import cdr_events

__all__ = ["ACTOR_TABLES", "ActorGraph", "HandoffMerge", "build_actor_graph"]

log = logging.getLogger(__name__)

ACTOR_TABLES = ("actor", "actor_edge")

_CONFLICTS_LOGGED = 5


@dataclass(frozen=True)
class HandoffMerge:
    """What the confirmed hand-offs did to the actor graph.

    ``applied``: confirmed pairs used (0 when ignored); ``components``: groups of numbers
    they join; ``reassigned``: numbers given to another actor than their own; ``conflicts``:
    components whose numbers belong to several persons.
    """

    applied: int = 0
    components: int = 0
    reassigned: int = 0
    conflicts: int = 0


@dataclass(frozen=True)
class ActorGraph:
    """Row counts of the actor tables and what the confirmed hand-offs did."""

    tables: dict[str, int]
    handoffs: HandoffMerge


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _handoff_components(con: duckdb.DuckDBPyConnection) -> None:
    """Temp table ``handoff_component(msisdn, component)``: each number of a confirmed pair and
    the smallest number of its connected component (the pairs taken as undirected edges).

    Only the confirmed rows travel to Python (reviewed by hand, so few); scipy's
    ``connected_components`` keeps it linear in their number, long chains included.
    """
    import numpy as np
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    pairs = con.execute("""
        SELECT DISTINCT src, dst FROM rel_same_user_as
        WHERE status = 'confirmed' AND src IS NOT NULL AND dst IS NOT NULL AND src <> dst
    """).fetchall()
    if not pairs:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE handoff_component (msisdn VARCHAR, component VARCHAR)"
        )
        return
    ends = np.array([x for pair in pairs for x in pair], dtype=object)
    numbers, index = np.unique(ends, return_inverse=True)  # sorted: index order = id order
    n = len(numbers)
    edges = coo_array(
        (np.ones(len(pairs), dtype=np.int8), (index[0::2], index[1::2])), shape=(n, n)
    )
    n_components, labels = connected_components(edges, directed=False)
    smallest = np.full(n_components, n, dtype=np.int64)
    np.minimum.at(smallest, labels, np.arange(n))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE handoff_component AS "
        "SELECT unnest($msisdn::VARCHAR[]) AS msisdn, unnest($component::VARCHAR[]) AS component",
        {
            "msisdn": [str(x) for x in numbers],
            "component": [str(x) for x in numbers[smallest[labels]]],
        },
    )


def _phone_map(con: duckdb.DuckDBPyConnection, *, confirmed_handoffs: bool) -> HandoffMerge:
    """Temp table ``phone_actor(msisdn, actor_id)`` for every phone attributed to someone:
    its person (``USES``), or, through confirmed hand-offs, its component's actor."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE uses_actor AS
        SELECT dst AS msisdn, first(src ORDER BY last DESC NULLS LAST, src) AS actor_id
        FROM rel_uses WHERE dst IS NOT NULL AND src IS NOT NULL GROUP BY dst
    """)
    if not confirmed_handoffs:
        con.execute("CREATE OR REPLACE TEMP TABLE phone_actor AS SELECT * FROM uses_actor")
        return HandoffMerge()
    _handoff_components(con)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE handoff_target AS
        SELECT c.component,
               arg_min(u.actor_id, c.msisdn) FILTER (WHERE u.actor_id IS NOT NULL) AS person,
               count(DISTINCT u.actor_id) AS persons,
               list(c.msisdn ORDER BY c.msisdn) AS numbers
        FROM handoff_component c LEFT JOIN uses_actor u USING (msisdn)
        GROUP BY c.component
    """)
    # attributed numbers keep their person; the others go to the component's actor
    con.execute("""
        CREATE OR REPLACE TEMP TABLE phone_actor AS
        SELECT msisdn, actor_id FROM uses_actor
        UNION ALL
        SELECT c.msisdn, coalesce(t.person, c.component)
        FROM handoff_component c JOIN handoff_target t USING (component)
        WHERE c.msisdn NOT IN (SELECT msisdn FROM uses_actor)
    """)
    conflicts = con.execute("""
        SELECT component, numbers FROM handoff_target WHERE persons > 1 ORDER BY component
    """).fetchall()
    if conflicts:
        log.warning(
            "%d confirmed hand-off group(s) join numbers of several persons (entity "
            "resolution may have missed a merge; each number keeps its person): %s",
            len(conflicts),
            "; ".join(", ".join(numbers) for _, numbers in conflicts[:_CONFLICTS_LOGGED]),
        )
    return HandoffMerge(
        applied=_count(
            con,
            "SELECT count(*) FROM (SELECT DISTINCT least(src, dst), greatest(src, dst) "
            "FROM rel_same_user_as WHERE status = 'confirmed' AND src <> dst)",
        ),
        components=_count(con, "SELECT count(*) FROM handoff_target"),
        reassigned=_count(
            con,
            "SELECT count(*) FROM handoff_component c JOIN handoff_target t USING (component) "
            "WHERE c.msisdn NOT IN (SELECT msisdn FROM uses_actor) "
            "AND coalesce(t.person, c.component) <> c.msisdn",
        ),
        conflicts=len(conflicts),
    )


def build_actor_graph(
    con: duckdb.DuckDBPyConnection, *, confirmed_handoffs: bool = True
) -> ActorGraph:
    """(Re)build ``actor`` and ``actor_edge`` from the knowledge-graph tables.

    ``confirmed_handoffs``: join the numbers of confirmed SAME_USER_AS pairs into one actor
    (see the module docstring); False builds the graph as if none had been confirmed.
    Returns the row counts of the two tables and what the hand-offs did.
    """
    handoffs = _phone_map(con, confirmed_handoffs=confirmed_handoffs)
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
    # calls and texts per phone pair and type, each with its own span (rel_called has one
    # span over every event type, data sessions included: a call tie would carry the texts')
    con.execute(f"""
        CREATE OR REPLACE TABLE actor_edge AS
        WITH a AS (SELECT msisdn, actor_id FROM phone_actor),
        typed AS (
            SELECT caller, callee,
                   CASE WHEN coalesce(event_type, 'call') = 'call' THEN 'calls'
                        WHEN event_type = 'sms' THEN 'sms' END AS layer,
                   count(*) AS n, sum(duration_s) AS seconds, min(start) AS first,
                   max(start) AS last
            FROM {cdr_events(con)} WHERE caller IS NOT NULL AND callee IS NOT NULL
            GROUP BY ALL
        ),
        comms AS (
            SELECT coalesce(s.actor_id, t.caller) AS src, coalesce(d.actor_id, t.callee) AS dst,
                   t.layer, t.n, t.seconds, t.first, t.last
            FROM typed t LEFT JOIN a s ON s.msisdn = t.caller LEFT JOIN a d ON d.msisdn = t.callee
            WHERE t.layer IS NOT NULL
        ),
        holder AS (
            SELECT dst AS account_id, min(src) AS person_id FROM rel_holds GROUP BY dst
        ),
        ties AS (
            SELECT src, dst, layer, n::DOUBLE AS weight, n, NULL::DOUBLE AS amount, first, last,
                   CASE WHEN layer = 'calls' THEN coalesce(seconds, 0) END AS seconds
            FROM comms
            UNION ALL
            SELECT hs.person_id, hd.person_id, 'money', t.count::DOUBLE, t.count, t.amount,
                   t.first, t.last, NULL
            FROM rel_transferred t JOIN holder hs ON hs.account_id = t.src
            JOIN holder hd ON hd.account_id = t.dst
            UNION ALL
            SELECT coalesce(s.actor_id, c.src), coalesce(d.actor_id, c.dst),
                   'contact:' || coalesce(c.kind, 'contact'), c.weight, 1, NULL, c.first, c.last,
                   NULL
            FROM rel_contact c LEFT JOIN a s ON s.msisdn = c.src LEFT JOIN a d ON d.msisdn = c.dst
        )
        SELECT src, dst, layer, sum(weight) AS weight, sum(n)::BIGINT AS count,
               sum(amount) AS amount, min(first) AS first, max(last) AS last,
               sum(seconds)::BIGINT AS seconds
        FROM ties WHERE src <> dst
        GROUP BY src, dst, layer
        ORDER BY src, dst, layer
    """)
    counts = {table: _count(con, f"SELECT count(*) FROM {table}") for table in ACTOR_TABLES}
    log.info("actor graph: %s; confirmed hand-offs: %s", counts, handoffs)
    return ActorGraph(tables=counts, handoffs=handoffs)
