"""A small but complete case store for publish tests, built from the real Montagna data.

Persons and CONTACT ties (phone calls, meetings) are the Montagna networks (Cavallaro et al.
2020, CC BY 4.0); the phone, device, cell and money layers around them are generated with a
fixed seed so that every label and relationship type of the model has rows, including Actor
ends of both kinds (persons, and phones attributed to no one), hypotheses, analysis results,
blackouts and a CDR staging table. Tables use the model's DDL.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import networkx as nx
import numpy as np
import pandas as pd

from graphkit.model import NODES, RELATIONSHIPS, node_ddl, relationship_ddl

T0 = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str)


def build_case_db(db_path: Path, montagna_dir: Path, *, seed: int = 7) -> Path:
    """Creates the case database at ``db_path`` and returns it."""
    rng = np.random.default_rng(seed)
    attrs = _read(montagna_dir / "attributes.csv")
    phone = _read(montagna_dir / "phone.csv")
    meet = _read(montagna_dir / "meetings.csv")
    ids = sorted(attrs["node"], key=lambda s: int(s[1:]))
    # Every third Montagna actor stays a bare phone (no resolved person): an Actor of kind phone.
    msisdn = {n: f"+3933{int(n[1:]):08d}" for n in ids}
    persons = [n for n in ids if int(n[1:]) % 3 != 2]
    actor = {n: (f"P-{n}" if n in persons else msisdn[n]) for n in ids}

    con = duckdb.connect(str(db_path))
    con.execute("SET TimeZone = 'UTC'")
    for n in NODES:
        con.execute(node_ddl(n))
    for r in RELATIONSHIPS:
        con.execute(relationship_ddl(r))

    person = pd.DataFrame(
        {
            "person_id": [f"P-{n}" for n in persons],
            "full_name": [f"Montagna {n}" for n in persons],
            "names": [[f"Montagna {n}", None] for n in persons],
            "aliases": [[] for _ in persons],
            "dob": ["1970" for _ in persons],
            "addresses": [["Messina"] for _ in persons],
            "id_numbers": [[f"ID{n}"] for n in persons],
            "record_count": [1 for _ in persons],
        }
    )
    con.register("person_frame", person)
    con.execute("INSERT INTO node_person SELECT * FROM person_frame")
    events = _events(phone, msisdn, rng)
    con.register("ev", events)
    con.execute(
        """CREATE TABLE src_cdr AS SELECT 'cdr.csv' AS source_name, row_number() OVER () AS
        row_number, CAST(row_number() OVER () AS VARCHAR) AS record_id, false AS is_duplicate,
        caller, callee, "start", duration_s, event_type, cell_id, imei FROM ev"""
    )
    phones = pd.DataFrame({"msisdn": [msisdn[n] for n in ids]})
    con.register("ph", phones)
    con.execute(
        """INSERT INTO node_phone SELECT p.msisdn, true, min(e."start"), max(e."start"),
        count(e.caller), list_transform(range(168), lambda h: 0.0) FROM ph p
        LEFT JOIN (SELECT caller, "start" FROM src_cdr UNION ALL SELECT callee, "start"
        FROM src_cdr) e ON e.caller = p.msisdn GROUP BY p.msisdn"""
    )
    con.execute(
        """INSERT INTO rel_called SELECT caller, callee, count(*) FILTER (event_type = 'call'),
        count(*) FILTER (event_type = 'sms'), sum(duration_s), min("start"), max("start")
        FROM src_cdr GROUP BY 1, 2"""
    )
    con.execute("INSERT INTO node_cell SELECT DISTINCT cell_id, 38.1, 15.5, 120.0 FROM src_cdr")
    con.execute(
        """INSERT INTO rel_connected_via SELECT caller, cell_id, count(*), min("start"),
        max("start") FROM src_cdr GROUP BY 1, 2"""
    )
    con.execute("INSERT INTO node_device SELECT DISTINCT imei, true FROM src_cdr")
    con.execute(
        """INSERT INTO rel_used_device SELECT caller, imei, min("start"), max("start")
        FROM src_cdr GROUP BY 1, 2"""
    )
    uses = pd.DataFrame({"src": [f"P-{n}" for n in persons], "dst": [msisdn[n] for n in persons]})
    con.register("uses", uses)
    con.execute(
        "INSERT INTO rel_uses SELECT src, dst, NULL, NULL, ['subscribers.csv:' || dst] FROM uses"
    )
    con.execute(
        """INSERT INTO node_record SELECT 'police.csv:' || person_id, 'police.csv', 'persons',
        'ab' || person_id, row_number() OVER (ORDER BY person_id) FROM node_person"""
    )
    con.execute(
        "INSERT INTO rel_resolved_from SELECT person_id, 'police.csv:' || person_id, 0.98 "
        "FROM node_person"
    )
    accounts = [f"IT60X0542811101000000{int(n[1:]):06d}" for n in persons[:30]]
    con.execute("INSERT INTO node_account SELECT UNNEST(?), true, 'Banca', 'holder'", [accounts])
    con.execute(
        "INSERT INTO rel_holds SELECT 'P-' || 'N' || CAST(CAST(right(a, 6) AS INT) AS VARCHAR),"
        " a, ['kyc.csv:1'] FROM (SELECT UNNEST(?) AS a)",
        [accounts],
    )
    chain = [
        (accounts[i], accounts[i + 1], 1000.0 * (i + 1), T0 + timedelta(days=i)) for i in range(6)
    ]
    chain.append((accounts[0], accounts[9], 50.0, T0))
    tx = pd.DataFrame(chain, columns=["src", "dst", "amount", "first"])
    con.register("tx", tx)
    con.execute(
        "INSERT INTO rel_transferred SELECT src, dst, 1, amount, "
        "CASE WHEN amount < 100 THEN NULL ELSE 'EUR' END, first, first FROM tx"
    )
    for kind, frame in (("phone", phone), ("meeting", meet)):
        ties = pd.DataFrame(
            {
                "src": [actor[s] for s in frame["source"]],
                "dst": [actor[t] for t in frame["target"]],
                "weight": frame["weight"].astype(float),
                "kind": kind,
            }
        )
        con.register("ties", ties)
        con.execute(
            "INSERT INTO rel_contact SELECT src, dst, weight, kind, NULL, NULL, "
            "['montagna/' || kind || '.csv'] FROM ties"
        )
    _analytics(con, attrs, phone, meet, actor)
    _hypotheses(con, msisdn, actor, ids)
    con.close()
    return db_path


def _events(phone: pd.DataFrame, msisdn: dict[str, str], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for s, t, w in zip(phone["source"], phone["target"], phone["weight"].astype(int), strict=True):
        for _ in range(w):
            start = T0 + timedelta(hours=int(rng.integers(0, 24 * 28)))
            cell = f"CELL-{int(rng.integers(0, 12)):02d}"
            kind = "sms" if rng.random() < 0.3 else "call"
            imei = f"3530000{int(s[1:]):08d}"
            rows.append((msisdn[s], msisdn[t], start, int(rng.integers(5, 600)), kind, cell, imei))
    # One handset shared by two SIMs, one SIM in two handsets.
    rows.append((msisdn["N14"], msisdn["N18"], T0, 30, "call", "CELL-00", "353000000000022"))
    rows.append((msisdn["N22"], msisdn["N18"], T0, 30, "call", "CELL-00", "353000000000022"))
    rows.append((msisdn["N22"], msisdn["N14"], T0, 30, "call", "CELL-00", "353000000000099"))
    return pd.DataFrame(
        rows, columns=["caller", "callee", "start", "duration_s", "event_type", "cell_id", "imei"]
    )


def _analytics(con, attrs, phone, meet, actor) -> None:  # type: ignore[no-untyped-def]
    g = nx.Graph()
    g.add_nodes_from(actor.values())
    for frame in (phone, meet):
        for s, t, w in zip(frame["source"], frame["target"], frame["weight"], strict=True):
            g.add_edge(actor[s], actor[t], weight=float(w))
    pr = nx.pagerank(g, weight="weight")
    bt = nx.betweenness_centrality(g)
    comms = sorted(nx.community.louvain_communities(g, seed=1), key=lambda c: -len(c))
    comm_of = {a: f"C{i}" for i, c in enumerate(comms) for a in c}
    rows = []
    for a in sorted(actor.values()):
        members = sorted((m for m in comms[int(comm_of[a][1:])]), key=lambda m: -pr[m])
        rank = members.index(a)
        rows.append(
            {
                "actor_id": a,
                "kind": "person" if a.startswith("P-") else "phone",
                "community": comm_of[a],
                "pagerank": pr[a],
                "betweenness": bt[a],
                "leadership": 1.0 - rank / max(1, len(members)),
                "level": min(rank, 3),
                "superior": members[0] if rank else None,
                "broker_role": "liaison" if bt[a] > 0.05 else None,
                "not_published": 1,
            }
        )
    frame = pd.DataFrame(rows)
    con.register("aa", frame)
    con.execute("CREATE TABLE analytics_actor AS SELECT * FROM aa")
    con.execute(
        "INSERT INTO node_community SELECT community, 0, count(*), 0.1 FROM analytics_actor "
        "GROUP BY community"
    )
    con.execute("INSERT INTO rel_member_of SELECT actor_id, community, 0.9 FROM analytics_actor")
    # Silent: the two leading members of the largest community (a group blackout), then the
    # two leading actors elsewhere.
    ranked = [r["actor_id"] for r in sorted(rows, key=lambda r: (-r["pagerank"], r["actor_id"]))]
    top = [a for a in ranked if comm_of[a] == "C0"][:2]
    top += [a for a in ranked if a not in top][:2]
    con.execute(
        """CREATE TABLE analytics_blackout (kind VARCHAR, id VARCHAR, "start" TIMESTAMPTZ,
        "end" TIMESTAMPTZ, p_value DOUBLE, q_value DOUBLE, ended BOOLEAN)"""
    )
    for i, a in enumerate(top):
        kind = "actor" if a.startswith("P-") else "phone"
        con.execute(
            "INSERT INTO analytics_blackout VALUES (?, ?, ?, ?, 0.001, 0.01, ?)",
            [kind, a, T0 + timedelta(days=10), T0 + timedelta(days=13), i != 0],
        )


def _hypotheses(con, msisdn, actor, ids) -> None:  # type: ignore[no-untyped-def]
    evidence = json.dumps({"shared_contacts": 5, "imei_reuse": False})
    con.execute(
        "INSERT INTO rel_same_user_as VALUES (?, ?, 0.91, 0.5, 'handoff-v1', ?, 'hypothesis', "
        "NULL, NULL)",
        [msisdn["N14"], msisdn["N22"], evidence],
    )
    # what `graphkit colocate` and `graphkit devices` store, so the Browser queries have rows
    met = json.dumps({"occasions": 3, "expected": 0.02, "q_value": 1e-6})
    con.execute(
        "INSERT INTO rel_co_located_with VALUES (?, ?, 0.98, 0.5, 'colocate-v1', ?, "
        "'hypothesis', NULL, NULL)",
        [*sorted([msisdn["N14"], msisdn["N22"]]), met],
    )
    moved = json.dumps({"records_before": 30, "records_after": 12})
    con.execute(
        "INSERT INTO rel_moved_to_handset SELECT caller, max(imei), 0.99, 0.75, 'devices-v1', "
        "?, 'hypothesis', NULL, NULL FROM src_cdr WHERE caller = ? GROUP BY caller",
        [moved, msisdn["N14"]],
    )
    pairs = [(actor[ids[i]], actor[ids[i + 40]]) for i in range(0, 12, 3)]
    for i, (a, b) in enumerate(pairs):
        con.execute(
            "INSERT INTO rel_predicted_link VALUES (?, ?, ?, 0.5, 'gnn-v1', ?, ?, NULL, NULL)",
            [a, b, 0.9 - i / 10, evidence, "hypothesis" if i else "confirmed"],
        )
