"""Exports re-open in the tools analysts use, with times, durations and a drawing.

Each tie carries the span of its own interaction type and the calls their total duration
(worked out again here from the CDR events); GraphML opens in igraph without a warning and
in networkx with Gephi's and yEd's drawing attributes; GEXF has ``viz:`` colour, size and
position; CSV reads back in pandas with dates and durations, phones unchanged.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import defusedxml.ElementTree as safe_et
import networkx as nx
import pandas as pd
import pytest

from graphkit.drawing import community_colour, hex_to_rgb
from graphkit.export import Selection, export_case, select_subgraph
from graphkit.store import CaseStore
from tests.export.cases import copy_case

WHOLE = Selection(include_hypotheses=True)


def _export(store: CaseStore, fmt: str, out: Path, **options: object) -> None:
    export_case(
        store,
        fmt=fmt,
        out=out,
        selection=WHOLE,
        purpose="test",
        recipient="interop tests",
        **options,
    )


def _cdr_ties(store: CaseStore) -> pd.DataFrame:
    """Calls and texts per actor pair and type, from the CDR events and the actors' phones:
    the oracle for the exported ties (pandas here, SQL in graphkit)."""
    with store.connect(read_only=True) as con:
        events = con.execute(
            "SELECT caller, callee, coalesce(event_type, 'call') AS event_type, start, "
            "duration_s FROM src_cdr WHERE NOT coalesce(is_duplicate, false) "
            "AND caller IS NOT NULL AND callee IS NOT NULL"
        ).df()
        phones = con.execute("SELECT actor_id, unnest(phones) AS msisdn FROM actor").df()
    owner = dict(zip(phones["msisdn"], phones["actor_id"], strict=True))
    events = events[events["event_type"].isin(["call", "sms"])].copy()
    events["src"] = [owner.get(p, p) for p in events["caller"]]
    events["dst"] = [owner.get(p, p) for p in events["callee"]]
    events["layer"] = events["event_type"].map({"call": "calls", "sms": "sms"})
    events = events[events["src"] != events["dst"]]
    return (
        events.groupby(["src", "dst", "layer"])
        .agg(
            count=("start", "size"),
            first=("start", "min"),
            last=("start", "max"),
            seconds=("duration_s", "sum"),
        )
        .reset_index()
    )


def test_each_tie_carries_its_own_type_span_and_call_seconds(sim_case: CaseStore) -> None:
    expected = _cdr_ties(sim_case).set_index(["src", "dst", "layer"])
    sub = select_subgraph(sim_case, Selection())
    comms = sub.edges[sub.edges["layer"].isin(["calls", "sms"])].set_index(["src", "dst", "layer"])
    assert len(comms) == len(expected) > 0
    joined = comms.join(expected, rsuffix="_cdr", how="inner")
    assert len(joined) == len(expected)
    assert (joined["count"] == joined["count_cdr"]).all()
    for col in ("first", "last"):
        got = pd.to_datetime(joined[col], utc=True)
        assert (got == pd.to_datetime(joined[f"{col}_cdr"], utc=True)).all(), col
    calls = joined.xs("calls", level="layer")
    assert (calls["seconds"] == calls["seconds_cdr"]).all() and calls["seconds"].sum() > 0
    assert joined.xs("sms", level="layer")["seconds"].isna().all()
    # a pair that both calls and texts: the two ties have different spans somewhere
    pairs = joined.reset_index().pivot_table(
        index=["src", "dst"], columns="layer", values="first", aggfunc="first"
    )
    both = pairs.dropna()
    assert len(both) and (both["calls"] != both["sms"]).any()


def test_graphml_opens_in_igraph_without_warnings_and_carries_the_drawing(
    sim_case: CaseStore, tmp_path: Path
) -> None:
    import igraph as ig

    _export(sim_case, "graphml", tmp_path / "sub.graphml")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = ig.Graph.Read_GraphML(str(tmp_path / "sub.graphml"))
    assert [str(w.message) for w in caught] == []
    sub = select_subgraph(sim_case, WHOLE)
    assert g.vcount() == len(sub.nodes) and g.ecount() == len(sub.edges)
    for attr in ("r", "g", "b", "x", "y", "size"):
        assert attr in g.vs.attributes(), attr
    for attr in ("first", "last", "count", "seconds", "r", "g", "b"):
        assert attr in g.es.attributes(), attr
    community = dict(zip(sub.nodes["id"], sub.nodes["community"], strict=True))
    for v in g.vs:
        assert (int(v["r"]), int(v["g"]), int(v["b"])) == hex_to_rgb(
            community_colour(community[v["id"]])
        )
    assert len({(v["x"], v["y"]) for v in g.vs}) > 0.9 * g.vcount()  # laid out, not stacked
    sizes = {v["id"]: v["size"] for v in g.vs}
    top = sub.nodes.sort_values("pagerank").iloc[[0, -1]]["id"].tolist()
    assert sizes[top[0]] < sizes[top[1]]

    # networkx reads the same file, yEd's graphics included
    h = nx.read_graphml(tmp_path / "sub.graphml")
    node = h.nodes[top[1]]
    assert node["shape_type"] == "ellipse" and node["size"] == pytest.approx(sizes[top[1]])
    root = safe_et.parse(tmp_path / "sub.graphml").getroot()
    y = "{http://www.yworks.com/xml/graphml}"
    fills = root.findall(f".//{y}ShapeNode/{y}Fill")
    assert len(fills) == len(sub.nodes)
    dashed = root.findall(f".//{y}PolyLineEdge/{y}LineStyle[@type='dashed']")
    assert len(dashed) == sub.hypotheses > 0


def test_layout_is_the_same_for_the_same_selection(sim_case: CaseStore, tmp_path: Path) -> None:
    _export(sim_case, "gexf", tmp_path / "a.gexf")
    _export(sim_case, "gexf", tmp_path / "b.gexf")
    position = re.compile(r"<viz:position [^>]*>")
    a = position.findall((tmp_path / "a.gexf").read_text())
    assert a and a == position.findall((tmp_path / "b.gexf").read_text())


def test_gexf_has_viz_colour_size_and_position(sim_case: CaseStore, tmp_path: Path) -> None:
    _export(sim_case, "gexf", tmp_path / "sub.gexf")
    g = nx.read_gexf(tmp_path / "sub.gexf")
    sub = select_subgraph(sim_case, WHOLE)
    community = dict(zip(sub.nodes["id"], sub.nodes["community"], strict=True))
    for node, data in g.nodes(data=True):
        viz = data["viz"]
        colour = (viz["color"]["r"], viz["color"]["g"], viz["color"]["b"])
        assert colour == hex_to_rgb(community_colour(community[node]))
        assert viz["size"] > 0 and {"x", "y"} <= set(viz["position"])
    calls = [d for _, _, d in g.edges(data=True) if d["layer"] == "calls"]
    assert calls and all(int(d["seconds"]) >= 0 and d["first"] <= d["last"] for d in calls)


def test_csv_reopens_in_pandas_with_dates_durations_and_phones_unchanged(
    hypotheses_case_dir: Path, tmp_path: Path
) -> None:
    """On the resolved case, where persons hold several phones."""
    case = copy_case(hypotheses_case_dir, tmp_path / "case")
    _export(case, "csv", tmp_path / "sub.csv")
    edges = pd.read_csv(tmp_path / "sub.edges.csv", parse_dates=["first", "last"])
    assert isinstance(edges["first"].dtype, pd.DatetimeTZDtype)
    calls = edges[edges["layer"] == "calls"]
    assert len(calls) and calls["seconds"].notna().all() and calls["seconds"].sum() > 0
    raw = pd.read_csv(tmp_path / "sub.edges.csv", dtype=str, keep_default_na=False)
    assert raw.loc[raw["layer"] == "calls", "seconds"].str.fullmatch(r"[0-9]+").all()
    assert raw["count"].str.fullmatch(r"[0-9]*").all()  # whole numbers, no "2.0"
    assert edges.loc[edges["layer"] == "sms", "seconds"].isna().all()
    nodes = pd.read_csv(tmp_path / "sub.nodes.csv", dtype=str, keep_default_na=False)
    sub = select_subgraph(case, WHOLE)
    expected = {r.id: "; ".join(r.phones) for r in sub.nodes.itertuples()}
    got = dict(zip(nodes["id"], nodes["phones"], strict=True))
    assert got == expected
    assert any(";" in v for v in got.values())  # an actor with two phones: a list, no quote
    assert not any(v.startswith("'") for v in nodes["phones"])
    # a phone joins across the two files as it is
    phones = {p for v in got.values() for p in v.split("; ") if p}
    assert set(edges["src"]) & phones


def test_csv_still_neutralises_a_formula(sim_case: CaseStore, tmp_path: Path) -> None:
    with sim_case.operation("test fixture", operation="alteration"), sim_case.connect() as con:
        row = con.execute(
            "SELECT actor_id FROM actor WHERE kind = 'phone' ORDER BY actor_id LIMIT 1"
        ).fetchone()
        assert row is not None
        con.execute(
            "INSERT INTO src_subscribers (msisdn, full_name) VALUES (?, ?)",
            [row[0], '=HYPERLINK("http://x.example","click")'],
        )
    _export(sim_case, "csv", tmp_path / "sub.csv")
    with (tmp_path / "sub.nodes.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    names = rows[row[0]]["names"]
    assert names.startswith('\'=HYPERLINK("http://x.example","click")'), names
    assert rows[row[0]]["phones"] == row[0]


def test_cypher_called_carries_seconds_and_per_type_spans(
    sim_case: CaseStore, tmp_path: Path
) -> None:
    _export(sim_case, "cypher", tmp_path / "sub.cypher")
    script = (tmp_path / "sub.cypher").read_text()
    called = [line for line in script.splitlines() if "MERGE (a)-[r:CALLED]->(b)" in line]
    assert called and all("datetime(row.props.first_call)" in line for line in called)
    assert "`seconds`: " in script and '`first_sms`: "' in script


def test_anx_has_dates_type_colours_and_cards(sim_case: CaseStore, tmp_path: Path) -> None:
    _export(sim_case, "anx", tmp_path / "sub.anx")
    root = safe_et.fromstring((tmp_path / "sub.anx").read_bytes().decode("utf-16"))
    types = {t.get("Name"): t for t in root.iter("EntityType")}
    assert {"Person", "Phone"} <= set(types)
    assert len({t.get("IconShadingColour") for t in types.values()}) == len(types)
    sub = select_subgraph(sim_case, WHOLE)
    items = [c for c in root.iter("ChartItem") if c.find("Link") is not None]
    dated = [c for c in items if c.get("DateSet") == "true"]
    observed = sub.edges[~sub.edges["hypothesis"]]
    assert len(items) == len(sub.edges) and len(dated) == len(observed)
    first = pd.to_datetime(observed["first"], utc=True).dt.strftime("%Y-%m-%dT%H:%M:%S")
    assert sorted(c.get("DateTime")[:19] for c in dated) == sorted(first)
    summaries = [card.get("Summary") for c in dated for card in c.iter("Card")]
    assert len(summaries) == len(dated)
    assert any(re.fullmatch(r"calls: \d+; \d+ s of calls", s or "") for s in summaries)
    entity_cards = [
        card for c in root.iter("ChartItem") if c.find("End") is not None for card in c.iter("Card")
    ]
    summaries = [c.get("Summary") or "" for c in entity_cards]
    assert "identifiers" in summaries
    assert all(s == "identifiers" or s.startswith("merged from ") for s in summaries)


def test_anx_persons_are_merged_entities_with_a_card_per_source_record(
    hypotheses_case_dir: Path, tmp_path: Path
) -> None:
    sim_case = copy_case(hypotheses_case_dir, tmp_path / "case")  # resolved: persons
    _export(sim_case, "anx", tmp_path / "sub.anx")
    root = safe_et.fromstring((tmp_path / "sub.anx").read_bytes().decode("utf-16"))
    with sim_case.connect(read_only=True) as con:
        truth = con.execute("SELECT src, dst FROM rel_resolved_from").fetchall()
    expected: dict[str, set[str]] = {}
    for person, record in truth:
        expected.setdefault(person, set()).add(record)
    seen: dict[str, set[str]] = {}
    drawn = set()
    for item in root.iter("ChartItem"):
        if item.find("End") is None:
            continue
        ident = item.find(".//Entity").get("Identity")
        drawn.add(ident)
        merged = {
            card.get("Summary").removeprefix("merged from ")
            for card in item.iter("Card")
            if (card.get("Summary") or "").startswith("merged from ")
        }
        if merged:
            seen[ident] = merged
    # every person drawn carries exactly the records resolved into it, one card each
    assert seen == {p: r for p, r in expected.items() if p in drawn} and len(seen) > 10
    assert any(len(r) >= 2 for r in seen.values())  # persons merged from several records
    # a pseudonymised chart carries no source record ids
    _export(sim_case, "anx", tmp_path / "p.anx", pseudonymise=True)
    text = (tmp_path / "p.anx").read_bytes().decode("utf-16")
    assert "merged from" not in text
