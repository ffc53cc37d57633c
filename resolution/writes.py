"""Writing resolution results into the case: persons, provenance, USES / HOLDS, review queue.

``phone_actor`` maps every phone to its actor for the analytics stage: the one person who uses
it, or the phone itself when no person (or more than one) does.

Set-based SQL over the frames produced by clustering; every table is rebuilt, so a re-run
leaves no stale rows. Persons are actors for the analytics stage: ``node_person`` with
``rel_uses`` (Person -> Phone) and ``rel_holds`` (Person -> Account) is the resolved view it
consumes.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

__all__ = ["write_graph"]


def _record_probability(assignment: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """Per record: the highest match probability linking it to another record of its person."""
    person = assignment.set_index("record_key")["person_id"]
    pl = person.reindex(pairs["id_l"].to_numpy()).to_numpy()
    pr = person.reindex(pairs["id_r"].to_numpy()).to_numpy()
    inside = pairs.loc[pl == pr, ["id_l", "id_r", "match_probability"]]
    long = pd.concat(
        [
            inside[["id_l", "match_probability"]].rename(columns={"id_l": "record_key"}),
            inside[["id_r", "match_probability"]].rename(columns={"id_r": "record_key"}),
        ]
    )
    best = long.groupby("record_key")["match_probability"].max()
    out = assignment.copy()
    sizes = out.groupby("person_id")["record_key"].transform("size")
    prob = best.reindex(out["record_key"].to_numpy()).to_numpy()
    # a record alone in its person is that person for certain; one joined only through a
    # review decision (must-link) has no scored pair inside: the reviewer made it certain
    out["match_probability"] = np.where(np.isnan(prob), 1.0, prob)
    out["cluster_size"] = sizes.to_numpy()
    return out


def write_graph(
    con: duckdb.DuckDBPyConnection,
    *,
    assignment: pd.DataFrame,
    anchors: pd.DataFrame,
    pairs: pd.DataFrame,
    queue: pd.DataFrame,
    hashes: dict[str, str],
) -> None:
    """Rebuild er_clusters, er_anchors, review_queue, phone_actor and the Person tables."""
    clusters = _record_probability(assignment, pairs)
    con.register("clusters_df", clusters)
    con.register("anchors_df", anchors)
    con.register("queue_df", queue)
    con.register(
        "hashes_df", pd.DataFrame({"source": list(hashes), "sha256": list(hashes.values())})
    )
    try:  # inside the caller's operation: one transaction with the stage record
        con.execute("CREATE OR REPLACE TABLE er_clusters AS SELECT * FROM clusters_df")
        con.execute("CREATE OR REPLACE TABLE er_anchors AS SELECT * FROM anchors_df")
        con.execute(
            """CREATE OR REPLACE TABLE review_queue AS
               SELECT q.*, cl.person_id AS person_l, cr.person_id AS person_r
               FROM queue_df q
               LEFT JOIN clusters_df cl ON cl.record_key = q.id_l
               LEFT JOIN clusters_df cr ON cr.record_key = q.id_r"""
        )
        con.execute("DELETE FROM node_person")
        con.execute(
            """
            INSERT INTO node_person
            WITH r AS (
              SELECT c.person_id, e.*,
                     coalesce(e.full_name,
                              nullif(concat_ws(' ', e.first_name, e.last_name), '')) AS name
              FROM clusters_df c JOIN er_records e USING (record_key)
            ), spelled AS (
              SELECT person_id, name, count(*) AS n, min(anchor_rank) AS first_rank
              FROM r WHERE name IS NOT NULL GROUP BY person_id, name
            ), parts AS (
              SELECT name, string_split(lower(trim(name)), ' ') AS t
              FROM (SELECT DISTINCT name FROM spelled)
            ), firsts AS (
              SELECT t[1] AS token, count(*) AS n FROM spelled JOIN parts USING (name) GROUP BY 1
            ), lasts AS (
              SELECT t[len(t)] AS token, count(*) AS n
              FROM spelled JOIN parts USING (name) GROUP BY 1
            ), typical AS (
              -- how usual a spelling is in the case: how many persons' names begin with its
              -- first word and end with its last (the rarer of the two). A typo ("uSnita"),
              -- a nickname ("Sandy") or a surname first ("Bennett Frank") is rarer there
              -- than the name it stands for
              SELECT p.name, least(coalesce(f.n, 0), coalesce(l.n, 0)) AS typical
              FROM parts p LEFT JOIN firsts f ON f.token = p.t[1]
                           LEFT JOIN lasts l ON l.token = p.t[len(p.t)]
            ), best_name AS (
              SELECT person_id, name FROM (
                SELECT s.person_id, s.name, row_number() OVER (
                  PARTITION BY s.person_id
                  ORDER BY strpos(s.name, ' ') > 0 DESC, s.n DESC, y.typical DESC,
                           s.first_rank, s.name) AS k
                FROM spelled s JOIN typical y USING (name)) WHERE k = 1
            ), best_dob AS (
              SELECT person_id, dob FROM (
                SELECT person_id, dob, row_number() OVER (
                  PARTITION BY person_id ORDER BY length(dob) DESC, count(*) DESC, dob) AS k
                FROM r WHERE dob IS NOT NULL GROUP BY person_id, dob) WHERE k = 1
            ), agg AS (
              SELECT person_id,
                     list_sort(list_distinct(list(name) FILTER (WHERE name IS NOT NULL)))
                       AS names,
                     list_sort(list_distinct(flatten(list(coalesce(aliases, []))))) AS aliases,
                     list_sort(list_distinct(list(address) FILTER (WHERE address IS NOT NULL)))
                       AS addresses,
                     list_sort(list_distinct(list(id_number)
                       FILTER (WHERE id_number IS NOT NULL))) AS id_numbers,
                     count(*) AS record_count
              FROM r GROUP BY person_id
            )
            SELECT agg.person_id, best_name.name, agg.names, agg.aliases, best_dob.dob,
                   agg.addresses, agg.id_numbers, agg.record_count
            FROM agg LEFT JOIN best_name USING (person_id) LEFT JOIN best_dob USING (person_id)
            ORDER BY agg.person_id
            """
        )
        con.execute(
            "DELETE FROM node_record WHERE record_id IN (SELECT record_key FROM er_records)"
        )
        con.execute(
            """INSERT INTO node_record
               SELECT e.record_key, e.source, e.kind, h.sha256, e.row_number
               FROM er_records e LEFT JOIN hashes_df h ON h.source = e.source
               ORDER BY e.anchor_rank"""
        )
        con.execute("DELETE FROM rel_resolved_from")
        con.execute(
            """INSERT INTO rel_resolved_from
               SELECT person_id, record_key, match_probability FROM clusters_df
               ORDER BY person_id, record_key"""
        )
        for table, column, first, last in (
            ("rel_uses", "phones", "min(activated)", "max(deactivated)"),
            ("rel_holds", "accounts", None, None),
        ):
            span = f"{first}, {last}, " if first else ""
            con.execute(f"DELETE FROM {table}")
            con.execute(
                f"""INSERT INTO {table}
                    SELECT person_id, ident, {span}
                           list_sort(list_distinct(list(record_key))) AS source_records
                    FROM (SELECT c.person_id, e.record_key, e.activated, e.deactivated,
                                 unnest(e.{column}) AS ident
                          FROM clusters_df c JOIN er_records e USING (record_key))
                    WHERE ident IS NOT NULL
                    GROUP BY person_id, ident ORDER BY person_id, ident"""
            )
        # the actor of each phone: its one known user, else the phone itself (unattributed,
        # or shared by several persons: then no single person is its actor)
        con.execute(
            """CREATE OR REPLACE TABLE phone_actor AS
               WITH users AS (
                 SELECT dst AS msisdn, list_sort(list_distinct(list(src))) AS persons
                 FROM rel_uses GROUP BY dst)
               SELECT p.msisdn,
                      CASE WHEN len(u.persons) = 1 THEN u.persons[1] ELSE p.msisdn END
                        AS actor_id,
                      coalesce(u.persons, []) AS persons
               FROM node_phone p LEFT JOIN users u USING (msisdn)
               ORDER BY p.msisdn"""
        )
    finally:
        for name in ("clusters_df", "anchors_df", "queue_df", "hashes_df"):
            con.unregister(name)
