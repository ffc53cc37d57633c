"""Every truth file agrees with the source files (checked on independently parsed CDRs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.simulate.conftest import SMALL, ParsedCdr


def _utc(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True)


def _involving(events: pd.DataFrame, numbers: set[str]) -> pd.DataFrame:
    return events[events["caller"].isin(numbers) | events["callee"].isin(numbers)]


def test_sources_counts_match_files(small_case: Path, truth: dict[str, pd.DataFrame]) -> None:
    for row in truth["sources"].itertuples():
        lines = (small_case / row.file).read_bytes().count(b"\n")
        assert lines - 1 == int(row.rows), row.source
    names = set(truth["sources"]["source"])
    assert names == {
        "opA_cdr",
        "opB_cdr",
        "opA_subscribers",
        "opB_subscribers",
        "police_persons",
        "bank_accounts",
        "transactions",
        "towers",
    }


def test_malformed_and_duplicates_are_exactly_the_planted_ones(
    parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]
) -> None:
    planted = {(r.source, int(r.row_number)): r.defect for r in truth["malformed"].itertuples()}
    assert planted, "the small case must contain malformed rows"
    assert parsed_cdr.rejected == planted
    sources = truth["sources"].set_index("source")
    for source, count in parsed_cdr.duplicates.items():
        assert count == int(sources.loc[source, "duplicates"]) > 0
        assert len(parsed_cdr.events[parsed_cdr.events["source"] == source]) + sum(
            1 for s, _ in planted if s == source
        ) == int(sources.loc[source, "rows"])


def test_handoffs_visible_in_cdrs(parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]) -> None:
    ev = parsed_cdr.events
    handoffs = truth["handoffs"]
    assert len(handoffs) >= 20
    seen_both = 0
    for h in handoffs.itertuples():
        old = _involving(ev, {h.old_msisdn})["time"]
        new = _involving(ev, {h.new_msisdn})["time"]
        if len(old):
            assert old.max() <= pd.Timestamp(h.time)
        if len(new):
            assert new.min() >= pd.Timestamp(h.new_start).floor("min")
            assert (pd.Timestamp(h.new_start) - pd.Timestamp(h.time)) <= pd.Timedelta(days=1)
        if len(old) and len(new):
            assert old.max() < new.min()
            seen_both += 1
    assert seen_both >= 0.9 * len(handoffs)
    # a group's hand-off happens within one day for all its members
    spread = (
        handoffs.assign(t=_utc(handoffs["time"]))
        .groupby("group_id")["t"]
        .agg(lambda t: t.max() - t.min())
    )
    assert (spread <= pd.Timedelta(hours=6)).all()


def test_hidden_ties_never_in_cdrs(parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]) -> None:
    ev = parsed_cdr.events
    phones = truth["phones"].groupby("person_id")["msisdn"].agg(set)
    hidden = truth["hidden_ties"]
    assert len(hidden) >= 30
    pair = pd.concat(
        [ev[["caller", "callee"]], ev[["callee", "caller"]].set_axis(["caller", "callee"], axis=1)]
    ).drop_duplicates()
    talked = set(zip(pair["caller"], pair["callee"], strict=True))
    for tie in hidden.itertuples():
        a, b = phones[tie.person_a], phones[tie.person_b]
        assert not any((x, y) in talked for x in a for y in b), tie
    # hidden ties are real: the pair shares a group or a friendship community
    persons = truth["persons"].set_index("person_id")
    groups_of = truth["groups"].groupby("person_id")["group_id"].agg(set)
    for tie in hidden.itertuples():
        if tie.kind == "group":  # members, brokers and mules of one group
            assert groups_of[tie.person_a] & groups_of[tie.person_b]
        else:
            assert tie.kind == "friend"
            assert persons.loc[tie.person_a].community_id == persons.loc[tie.person_b].community_id


def test_blackouts_silent_in_cdrs(parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]) -> None:
    ev = parsed_cdr.events
    blackouts = truth["blackouts"]
    assert {"group", "person"} <= set(blackouts["scope"])
    resumed_seen = resumed = 0
    for b in blackouts.itertuples():
        start, end = pd.Timestamp(b.start), pd.Timestamp(b.end)
        mine = _involving(ev, {b.msisdns})["time"]
        assert not ((mine >= start) & (mine < end.floor("min"))).any(), b
        assert (mine < start).any(), "the phone was active before going silent"
        if b.resumed == "true":
            resumed += 1
            resumed_seen += bool((mine >= end).any())
        else:
            assert not (mine >= start).any()
    assert resumed_seen >= 0.8 * resumed


def test_swaps_visible_in_cdrs(parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]) -> None:
    ev = parsed_cdr.events
    swaps = truth["swaps"]
    assert set(swaps["kind"]) == {"sim_swap", "handset_swap"}
    for s in swaps.itertuples():
        t = pd.Timestamp(s.time)
        if s.kind == "sim_swap":
            assert s.old_imei == s.new_imei and s.old_msisdn != s.new_msisdn
            before = ev[(ev["caller"] == s.old_msisdn)]
            after = ev[(ev["caller"] == s.new_msisdn)]
            assert (before["time"] < t).all() and (after["time"] >= t.floor("min")).all()
            assert set(before["imei"]) <= {s.old_imei} and set(after["imei"]) <= {s.new_imei}
        else:
            mine = ev[ev["caller"] == s.old_msisdn]
            assert set(mine.loc[mine["time"] < t.floor("min"), "imei"]) <= {s.old_imei}
            assert set(mine.loc[mine["time"] >= t, "imei"]) <= {s.new_imei}


def test_every_event_uses_a_phone_in_its_valid_window(
    parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]
) -> None:
    ev = parsed_cdr.events
    phones = truth["phones"].drop_duplicates("msisdn").set_index("msisdn")
    for side in ("caller", "callee"):
        assert ev[side].isin(phones.index).all()
        span = phones.loc[ev[side]]
        assert (ev["time"].to_numpy() >= _utc(span["valid_from"]).dt.floor("min").to_numpy()).all()
        assert (ev["time"].to_numpy() <= _utc(span["valid_to"]).to_numpy()).all()


def test_calls_follow_the_hierarchy(parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]) -> None:
    """Who places the calls between ranks follows ``upward_call_share`` (lieutenant -> boss
    0.05 above it, soldier -> lieutenant 0.05 below), read back from the CDR files."""
    ev = parsed_cdr.events
    members = truth["groups"][truth["groups"]["role"] == "member"]
    rank = members.set_index("person_id")["rank"]
    owner = truth["phones"][truth["phones"]["kind"] == "mobile"].set_index("msisdn")["person_id"]
    ranked = ev.assign(
        from_rank=ev["caller"].map(owner).map(rank), to_rank=ev["callee"].map(owner).map(rank)
    )
    pairs = ranked.groupby(["from_rank", "to_rank"]).size()
    up = SMALL.upward_call_share
    for lower, upper, expected in (
        ("soldier", "lieutenant", up - 0.05),
        ("lieutenant", "boss", up + 0.05),
    ):
        placed, received = pairs[(lower, upper)], pairs[(upper, lower)]
        assert placed + received >= 150
        # binomial standard error at these counts is under 0.04
        assert abs(placed / (placed + received) - expected) < 0.08


def test_daily_rhythm(parsed_cdr: ParsedCdr) -> None:
    hour = parsed_cdr.events["time"].dt.tz_convert("Europe/London").dt.hour
    night = hour.isin([2, 3, 4]).sum()
    evening = hour.isin([18, 19, 20]).sum()
    assert evening > 15 * night


def test_records_point_at_real_people(small_case: Path, truth: dict[str, pd.DataFrame]) -> None:
    persons = set(truth["persons"]["person_id"])
    records = truth["records"]
    people_records = records[records["person_id"] != ""]
    assert set(people_records["person_id"]) <= persons
    for source in ("opA_subscribers", "opB_subscribers", "police_persons", "bank_accounts"):
        delimiter = {"opB_subscribers": "|", "police_persons": ";"}.get(source, ",")
        encoding = "latin-1" if source == "police_persons" else "utf-8"
        frame = pd.read_csv(
            small_case / "sources" / f"{source}.csv",
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            encoding=encoding,
        )
        ids = set(frame.iloc[:, 0])
        assert ids == set(records.loc[records["source"] == source, "record_id"]), source
    # burners are registered under fake identities or none, never the user's own
    burners = truth["phones"][truth["phones"]["purpose"] == "burner"]
    assert set(burners["registered_as"]) <= {"fake", "none"}
    identity = records[records["identity_id"].str.startswith("F")]
    assert len(identity) > 0 and (identity["person_id"] != identity["identity_id"]).all()


def test_laundering_chains_follow_the_roles(
    small_case: Path, truth: dict[str, pd.DataFrame]
) -> None:
    tx = pd.read_csv(small_case / "sources" / "transactions.csv", dtype=str)
    tx = tx.merge(truth["transactions"], left_on="TxnID", right_on="record_id")
    assert len(tx) == len(truth["transactions"])
    owner = truth["accounts"].set_index("account_id")["person_id"]
    roles = truth["groups"].drop_duplicates("person_id", keep="last")
    role = roles.set_index("person_id")["role"]
    rank = truth["groups"][truth["groups"]["role"] == "member"].set_index("person_id")["rank"]
    proceeds = tx[tx["purpose"] == "proceeds"]
    assert len(proceeds) > 20
    assert (proceeds["Amount"].astype(float) < 1000).all()
    assert (proceeds["FromIBAN"].map(owner).map(rank) == "soldier").all()
    assert (proceeds["ToIBAN"].map(owner).map(role) == "mule").all()
    payouts = tx[tx["purpose"] == "payout"]
    assert payouts["ToIBAN"].map(owner).map(rank).isin(["boss", "lieutenant"]).all()
    assert (payouts["FromIBAN"].map(owner).map(role) == "mule").all()
    salaries = tx[tx["purpose"] == "salary"]
    assert (
        salaries["FromIBAN"].map(truth["accounts"].set_index("account_id")["role"]) == "company"
    ).all()


def test_groups_are_communities_in_the_cdrs(
    parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]
) -> None:
    """With phones attributed to their true users, modularity communities recover the groups
    (the world makes group recovery possible; finding the users is the pipeline's job)."""
    import igraph as ig
    import leidenalg
    import numpy as np
    from sklearn.metrics import normalized_mutual_info_score

    ev = parsed_cdr.events
    mobiles = truth["phones"][truth["phones"]["kind"] == "mobile"]
    owner = mobiles.set_index("msisdn")["person_id"]
    a = ev["caller"].map(owner).fillna(ev["caller"]).to_numpy()
    b = ev["callee"].map(owner).fillna(ev["callee"]).to_numpy()
    pairs = pd.DataFrame(np.sort(np.c_[a, b], axis=1), columns=["a", "b"])
    weights = pairs[pairs["a"] != pairs["b"]].value_counts().reset_index(name="w")
    graph = ig.Graph.TupleList(weights.itertuples(index=False), weights=True)
    part = leidenalg.find_partition(
        graph, leidenalg.ModularityVertexPartition, weights="weight", seed=1
    )
    community = dict(zip(graph.vs["name"], part.membership, strict=True))
    members = truth["groups"][truth["groups"]["role"] == "member"]
    found = members["person_id"].map(community)
    # small groups (about 11 members here) sometimes split along crews; at the default size
    # (2,000 people, 4 groups) NMI is 0.94-1.0 over seeds 11-14. One seeded Leiden run on 30
    # members: 0.849 here since the call-direction default became 0.45 (landline calls and
    # so pair weights shift with who calls), hence a floor with a margin
    assert normalized_mutual_info_score(members["group_id"], found) >= 0.80
    # group business carries a large share of members' traffic (about half here)
    group_of = truth["groups"].groupby("person_id")["group_id"].agg(set)
    is_member = pd.Series(a).isin(members["person_id"]) | pd.Series(b).isin(members["person_id"])
    ga = pd.Series(a).map(group_of)
    gb = pd.Series(b).map(group_of)
    same = [
        isinstance(x, set) and isinstance(y, set) and bool(x & y)
        for x, y in zip(ga, gb, strict=True)
    ]
    share = pd.Series(same)[is_member].mean()
    assert share >= 0.4


def test_every_event_follows_a_true_tie(
    parsed_cdr: ParsedCdr, truth: dict[str, pd.DataFrame]
) -> None:
    """ties.csv is the communication structure: each event is on a tie valid at its time."""
    ev = parsed_cdr.events
    mobiles = truth["phones"][truth["phones"]["kind"] == "mobile"]
    owner = mobiles.set_index("msisdn")["person_id"]
    a = ev["caller"].map(owner).fillna(ev["caller"])  # landlines stay their number
    b = ev["callee"].map(owner).fillna(ev["callee"])
    ties = truth["ties"]
    lo = ties[["a", "b"]].min(axis=1)
    hi = ties[["a", "b"]].max(axis=1)
    spans = pd.DataFrame(
        {
            "x": lo,
            "y": hi,
            "start": _utc(ties["valid_from"]),
            "end": _utc(ties["valid_to"]),
        }
    )
    events = pd.DataFrame({"x": a.where(a < b, b), "y": b.where(a < b, a), "time": ev["time"]})
    joined = events.reset_index().merge(spans, on=["x", "y"], how="left")
    inside = (joined["time"] >= joined["start"].dt.floor("min")) & (joined["time"] < joined["end"])
    ok = inside.groupby(joined["index"]).any()
    assert len(ok) == len(events)
    assert ok.all(), events[~ok.to_numpy()].head()
