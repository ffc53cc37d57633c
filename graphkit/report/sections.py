"""The report's content: sections of short explanations, pictures and small tables.

Observed facts and model output are kept apart: hand-offs, predicted links and the entity
resolution review queue appear only inside ``Box(kind="hypothesis")`` blocks with their score,
evidence and review status, in their own section.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from graphkit.analytics.chain_claim import named_leader, passed, relay_tier_of, untested_relay
from graphkit.analytics.organisation import organisation
from graphkit.report import figures, figures_hierarchy
from graphkit.report.blocks import (
    Block,
    Card,
    Cards,
    Figure,
    Para,
    Section,
    Stats,
    Table,
)
from graphkit.report.collect import CaseFacts
from graphkit.report.sections_activity import activity_section
from graphkit.report.sections_connect import connecting_network_sections
from graphkit.report.sections_hotspots import hotspots_section
from graphkit.report.sections_hypotheses import hypotheses_section
from graphkit.report.sections_methods import methods_section
from graphkit.report.sections_network import network_section
from graphkit.report.text import community_key, label_of, short_label
from graphkit.report.text import fmt as _fmt

__all__ = ["build_sections"]

MAX_COMMUNITY_CARDS = 12


def summary_section(facts: CaseFacts) -> Section:
    """Sources with hashes and counts, records -> persons, key numbers, graph size."""
    c = facts.counts
    persons = c.get("node_person", 0)
    records = sum(int(s.get("accepted", 0)) for s in facts.sources)
    rejected = sum(int(s.get("rejected", 0)) for s in facts.sources)
    n_comm = len(facts.communities)  # one actor alone is a community of one in the table
    n_groups = (
        int((facts.communities["size"] >= 2).sum())
        if n_comm and "size" in facts.communities
        else n_comm
    )
    start, end = facts.period
    lines = [
        f"Case “{facts.name}” (id {facts.case_id}), created {facts.created_at}; report made "
        f"{facts.generated_at} from the case manifest with SHA-256 {facts.manifest_sha256}.",
        f"{len(facts.sources)} sources gave {records:,} accepted records ({rejected:,} rejected, "
        "kept in the rejects table with the reason)."
        + (
            f" Call records span {start:%d %b %Y} to {end:%d %b %Y} (UTC)." if start and end else ""
        ),
    ]
    if persons:
        lines.append(
            f"Entity resolution joined {c.get('rel_resolved_from', 0):,} person records "
            f"into {persons:,} persons."
        )
    else:
        lines.append(
            "Entity resolution has not run: the actors are phone numbers and contact "
            "ids as recorded, not people."
        )
    key = [
        ("records accepted", f"{records:,}"),
        ("persons", f"{persons:,}" if persons else "not resolved"),
        ("actors", f"{c.get('actor', 0):,}"),
        ("ties between actors", f"{c.get('actor_edge', 0):,}"),
        ("communities of 2+ actors", f"{n_groups:,}" if n_comm else "–"),
        *([("actors alone (no community)", f"{n_comm - n_groups:,}")] if n_comm > n_groups else []),
        ("blackouts found", f"{len(facts.blackouts):,}" if facts.has("blackouts") else "–"),
        ("hand-off hypotheses (chosen or decided)", f"{len(facts.handoffs):,}"),
        ("predicted links (hypotheses)", f"{len(facts.predicted):,}"),
    ]
    sources = tuple(
        (
            s["name"],
            s.get("kind", ""),
            Path(str(s.get("file", ""))).name,
            s.get("sha256", ""),
            f"{int(s.get('accepted', 0)):,}",
            f"{int(s.get('rejected', 0)):,}",
            f"{int(s.get('duplicates', 0)):,}",
        )
        for s in facts.sources
    )
    graph = tuple((t, f"{n:,}") for t, n in sorted(facts.counts.items()) if n)
    return Section(
        "summary",
        "Case summary",
        (
            *(Para(x) for x in lines),
            Stats(tuple(key)),
            Table(
                ("source", "kind", "file", "SHA-256", "accepted", "rejected", "duplicates"),
                sources,
                "Sources: each file is hashed before it is read",
                mono=("SHA-256",),
            ),
            Table(
                ("table", "rows"),
                graph,
                "Size of the knowledge graph and the actor graph",
                collapsed=True,
            ),
        ),
    )


def _short_name(facts: CaseFacts, actor_id: str) -> str:
    """An actor's name for a picture (its phone when it has no name), without the id."""
    hit = facts.actors[facts.actors["actor_id"] == actor_id]
    return short_label(hit.iloc[0]) if len(hit) else actor_id


#: hand-off pairs named in a community card (best first); the Hypotheses section lists all
MAX_SAME_PERSON = 5


def _community_card(facts: CaseFacts, row: Any) -> Card:
    c = str(row.community)
    members = facts.actors[facts.actors["community"] == c].copy()
    members = members.sort_values("leadership", ascending=False)
    blocks: list[Block] = [
        Para(
            f"{int(row.size)} members, {int(row.ties)} ties inside (density {_fmt(row.density)}); "
            f"members agree on this community in {_fmt(getattr(row, 'mean_confidence', None), 2)} "
            "of the consensus runs on average."
        ),
        Para(
            _ordering_sentence(
                row,
                _ordering_thresholds(facts),
                lambda a: _name(facts, a),
                not_run=facts.missing.get("hierarchy", ""),
            )
        ),
    ]
    evidence = list(getattr(row, "evidence", []) or [])
    blocks.insert(
        0,
        Para(
            "Tests of organisation passed: "
            + ", ".join("confirmed hand-offs" if e == "hand-offs" else e for e in evidence)
            + "."
            if evidence
            else "Passed no test of organisation (ordering, relayed orders, group blackout, "
            "confirmed hand-off): nothing marks this community as organised."
        ),
    )
    relay_heads = members[members.get("relay_tier", pd.Series(0, index=members.index)) == 2]
    if len(relay_heads):
        blocks.append(
            Para(
                _relay_heads_sentence(
                    [_with_relay_q(r) for _, r in relay_heads.iterrows()],
                    confirmed=bool(getattr(row, "relay_test_stated", False)),
                ),
                muted=not bool(getattr(row, "relay_test_stated", False)),
            )
        )
    stated = _ordering_stated(row)  # levels exist only where the ordering test passed
    brokers = members[members.get("broker_role", pd.Series(dtype=str)).fillna("none") != "none"]
    brokers = brokers.sort_values("brokerage", ascending=False).head(3)
    carriers = facts.carriers
    same = {
        a: f"≈ {_short_name(facts, owner)}, hand-off {_fmt(score)}"
        for a, (owner, score, _review_id) in carriers.items()
        if a in set(members["actor_id"])
    }
    if same:
        listed = sorted(same, key=lambda a: -carriers[a][1])
        more = len(listed) - MAX_SAME_PERSON
        blocks.append(
            Para(
                "Likely one person with two numbers (hand-off hypotheses, not facts): "
                + "; ".join(
                    f"{_name(facts, a)} is likely the same person as "
                    f"{_name(facts, carriers[a][0])} (score {_fmt(carriers[a][1])})"
                    for a in listed[:MAX_SAME_PERSON]
                )
                + (f"; and {more} more (the Hypotheses section lists them)" if more > 0 else "")
                + ". `graphkit review CASE --queue handoffs` confirms or rejects them."
            )
        )
    if stated and "level" in members and members["level"].notna().any():
        blocks.append(
            Figure(
                f"hierarchy-c{c}",
                figures_hierarchy.hierarchy_png(
                    members.dropna(subset=["level"]),
                    brokers=list(brokers["actor_id"]),
                    same_as=same,
                ),
                "Hierarchy: seniority (SpringRank) upwards, levels from the top (0); arrows run "
                "from each member's most likely superior; the first by leadership is ringed "
                "(a leader only as the table below says), brokers are "
                "diamonds; a number beside a node refers to the key on the right.",
            )
        )
    # no leadership measured (an analysis run in part): no one is named the community's lead
    leader = members[members["leadership"].notna()].head(1)
    lead_ids = set(leader["actor_id"])
    rows = [
        (
            _lead_role(r, stated)
            + (" and broker" if r["actor_id"] in set(brokers["actor_id"]) else ""),
            label_of(r),
            r.get("explanation") or "",
        )
        for _, r in leader.iterrows()
    ]
    rows += [
        ("broker", label_of(r), r.get("explanation") or "")
        for _, r in brokers.iterrows()
        if r["actor_id"] not in lead_ids
    ]
    if rows:
        blocks.append(
            Table(
                ("role", "actor", "why"),
                tuple(rows),
                "Leader and brokers, with the evidence behind each score",
            )
        )
    else:
        blocks.append(
            Para(
                "No leader or broker is named: the analysis measured neither leadership nor "
                "brokerage here.",
                muted=True,
            )
        )
    top = members.head(10)
    blocks.append(
        Table(
            ("member", "level", "most likely superior", "leadership", "PageRank", "role"),
            tuple(
                (
                    label_of(r),
                    _fmt(r.get("level")),
                    _name(facts, r.get("superior")),
                    _fmt(r.get("leadership")),
                    _fmt(r.get("pagerank")),
                    r.get("broker_role") or "",
                )
                for _, r in top.iterrows()
            ),
            f"Members by leadership ({len(top)} of {len(members)}). Level: the member's band "
            "of seniority (SpringRank), 0 for the band of the most senior, one unit wide, so "
            "several members share a level and a level-0 member may still rank below another; "
            "most likely superior: the contact ranked above it that most likely outranks it "
            "(the top of the ordering has none). Both only where the ordering test passed",
            collapsed=True,
        )
    )
    return Card(f"Community {c}", figures.community_colour(c), tuple(blocks))


#: rows of the case-wide leaders table in the report (`graphkit show CASE leaders` has all)
MAX_LEADERS = 15


def _leaders_table(facts: CaseFacts) -> list[Block]:
    """The case-wide leaders view's first rows: who leads, in which community, on what the
    score rests, and a likely burner's carrier; how many are not shown."""
    rows = [r for r in facts.leaders if r.get("leadership") is not None]
    if not rows:
        return []
    shown = rows[:MAX_LEADERS]
    return [
        Table(
            ("rank", "actor", "community", "leadership", "rests on", "same person as"),
            tuple(
                (
                    str(i),
                    _name(facts, r["actor_id"]),
                    str(community_key(r.get("community")) or "–"),
                    _fmt(r.get("leadership")),
                    str(r.get("rests_on") or ""),
                    _name(facts, r["same_person_as"]) if r.get("same_person_as") else "",
                )
                for i, r in enumerate(shown, start=1)
            ),
            f"Leaders, case-wide: the first {len(shown)} of {len(rows)} actors by leadership "
            "score (a ranking, not a claim; `graphkit show CASE leaders` lists them all)",
        )
    ]


def _lead_role(member: Any, stated: bool) -> str:
    """ "leader" only on a test that passed (heads a relay chain in a community whose
    relayed-orders test passed, or tops a stated ordering:
    :func:`graphkit.analytics.chain_claim.named_leader`); otherwise the member is first by
    leadership on an untested relay pattern, or the most prominent."""
    tier, confirmed, level = (member.get(k) for k in ("relay_tier", "relay_confirmed", "level"))
    named = named_leader(
        relay_tier=tier, relay_confirmed=confirmed, ordering_stated=stated, level=level
    )
    if named:
        chain = relay_tier_of(tier) == 2 and passed(confirmed)
        return "leader (heads a relay chain)" if chain else "leader (top of the stated ordering)"
    if untested_relay(relay_tier=tier, relay_confirmed=confirmed):
        return "first by leadership, on an untested relay pattern (no leader test passed)"
    if relay_tier_of(tier) == 1:  # a middle link of a confirmed chain
        return (
            "first by leadership, a middle link of a confirmed relay chain (no leader test passed)"
        )
    return "most prominent (no leader test passed)"


def _ordering_thresholds(facts: CaseFacts) -> tuple[float, float]:
    """The FDR level and minimum effect the analysis stated orderings at."""
    settings = (facts.stages.get("analyze") or {}).get("settings") or {}
    return (
        float(settings.get("hierarchy_significance", 0.05)),
        float(settings.get("hierarchy_min_effect", 0.01)),
    )


def _with_relay_q(member: Any) -> str:
    """A chain head's label with its own relay test's q-value, so that a head named on a
    borderline q (0.0498) reads as such beside one at 1e-6."""
    q = member.get("relay_q_value")
    own = f" at q = {_fmt(float(q))}" if q is not None and not pd.isna(q) else ""
    return label_of(member) + own


def _relay_heads_sentence(heads: list[str], *, confirmed: bool) -> str:
    """The community card's sentence on the members whose contacts are relayed onward as a
    chain head's are (one or more): a chain only where the community's relayed-orders test
    passed (``confirmed``), otherwise a pattern, with why it is no claim."""
    named = heads[0] if len(heads) == 1 else ", ".join(heads[:-1]) + " and " + heads[-1]
    rate = (
        "contacts passed on within the relay window significantly more often than the "
        "callees' own rates predict, FDR-controlled across actors"
    )
    if confirmed:
        verb = "heads a relay chain" if len(heads) == 1 else "each head a relay chain"
        return (
            f"Orders relayed down: {named} {verb} (relay test: {rate}; the community's "
            "relayed-orders test passed)."
        )
    return (
        f"Relay pattern, not a claim: the contacts of {named} were passed on as a chain "
        f"head's are ({rate}), but this community's relayed-orders test, which reads the same "
        "contacts backwards in time, did not pass; bursts of everyday calls give this pattern "
        "too."
    )


def _ordering_stated(row: Any) -> bool:
    """Whether the ordering test itself passed (cases analysed before the relayed-orders
    route existed have only ``hierarchy_stated``, which then meant the same)."""
    value = getattr(row, "ordering_stated", None)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = getattr(row, "hierarchy_stated", False)
    return bool(value)


def _relay_claim_words(row: Any, name: Callable[[Any], str] = str) -> str:
    """The relayed-orders test's figures: whose contacts, onward contacts after and before."""
    source = getattr(row, "relay_test_source", None)
    who = name(source) if source else "a member"
    return (
        f"the contacts {who} made inside were followed within the relay "
        f"window by {_fmt(getattr(row, 'relay_test_onward', None))} onward contacts to other "
        f"members against {_fmt(getattr(row, 'relay_test_onward_before', None))} in the same "
        f"time before them (relayed-orders test, q = "
        f"{_fmt(getattr(row, 'relay_test_q_value', None))})"
    )


def _ordering_sentence(
    row: Any,
    thresholds: tuple[float, float] = (0.05, 0.01),
    name: Callable[[Any], str] = str,
    not_run: str = "",
) -> str:
    """The chain-of-command sentence of a community card, naming the test that backs it
    (the ordering test, relayed orders, or both) and, where no ordering is stated, the
    condition that failed (``not_run``: why the analysis tested none, where it ran without
    its hierarchy part)."""
    relayed = bool(getattr(row, "relay_test_stated", False))
    if relayed and not _ordering_stated(row):
        return (
            f"Chain of command: orders are passed down; {_relay_claim_words(row, name)}. The "
            "ordering test did not pass, so no levels are drawn: relayed orders show that "
            "orders pass down, not who sits at which level."
        )
    q = getattr(row, "hierarchy_q_value", float("nan"))
    if not isinstance(q, float) or math.isnan(q):
        if not_run:
            return f"No ordering was tested: {not_run}. No levels are drawn."
        return (
            "No ordering was tested (too few members or directed contacts inside): no levels "
            "are drawn."
        )
    figures_ = (
        f"{_fmt(getattr(row, 'downward_share', None))} of directed contacts run down the "
        f"fitted ordering against {_fmt(getattr(row, 'expected_downward_share', None))} "
        f"expected (ordering test, q = {_fmt(q)})"
    )
    if _ordering_stated(row):
        also = f"; and {_relay_claim_words(row, name)}" if relayed else ""
        return f"Chain of command: who contacts whom orders the members; {figures_}{also}."
    fdr, min_effect = thresholds
    effect = getattr(row, "hierarchy_effect", float("nan"))
    if q <= fdr and isinstance(effect, float) and not math.isnan(effect):
        return (
            f"No clear ordering: {figures_}. The test passes, but the excess of "
            f"{_fmt(effect)} is below the {_fmt(min_effect)} a chain of command needs; no "
            "levels are drawn."
        )
    return f"No clear ordering: {figures_}, not enough to claim one; no levels are drawn."


def _name(facts: CaseFacts, actor_id: Any) -> str:
    if not isinstance(actor_id, str):
        return "–"
    hit = facts.actors[facts.actors["actor_id"] == actor_id]
    return label_of(hit.iloc[0]) if len(hit) else actor_id


def communities_section(facts: CaseFacts) -> Section:
    """A card per community (hierarchy diagram, leader, brokers, members), key players."""
    if facts.communities.empty or facts.actors.empty:
        return Section(
            "communities",
            "Communities",
            (
                Para(
                    "No communities yet: "
                    + facts.missing.get("analytics", "run `graphkit analyze`")
                    + "."
                ),
            ),
        )
    comm = organisation(facts.communities, facts.actors, facts.blackouts, facts.handoffs)
    multi = comm[comm["size"] > 1]
    cards = tuple(_community_card(facts, r) for r in multi.head(MAX_COMMUNITY_CARDS).itertuples())
    blocks: list[Block] = [
        Para(
            "Communities are groups of actors who deal with each other more than with the rest "
            "(Leiden, consensus of several seeded runs), shown with those that passed the most "
            "tests of organisation first (a stated ordering, relayed orders, a group blackout, "
            "a confirmed hand-off). A chain of command is stated only where a test passes: "
            "the ordering test (SpringRank fit against re-drawn tie directions, with an effect "
            "size) or, with time-stamped calls, the relayed-orders test (members' contacts "
            "passed on to other members more often after the contact than before it, at least "
            "1.5 times); both share one Benjamini-Hochberg family across communities. Levels "
            "are drawn only where the ordering test passes. Leadership is "
            "prominence (PageRank), combined with the rank only where an ordering is stated, "
            "with actors whose contacts are relayed onward first (a relay pattern; called a "
            "chain only where the community's relayed-orders test passed). Brokers and key "
            "players are measurements of the network as recorded, not tested claims: a "
            "community's brokers are the (at most three) members on the most open two-paths "
            "(a contact of theirs with a and one with c, and none between a and c; "
            "Gould-Fernandez roles by the communities of a and c), and key players the actors "
            "whose joint removal fragments the network most. Neither is compared with a null "
            "model: they say where to look, not what was found."
        ),
        *_leaders_table(facts),
        Cards(cards),
    ]
    if len(multi) > MAX_COMMUNITY_CARDS:
        rest = multi.iloc[MAX_COMMUNITY_CARDS:]
        blocks.append(
            Table(
                ("community", "size", "ties", "leader (where a test passed)"),
                tuple(
                    (str(r.community), int(r.size), int(r.ties), _name(facts, r.leader))
                    for r in rest.itertuples()
                ),
                "Smaller communities",
            )
        )
    if len(facts.key_players):
        blocks.append(
            Table(
                ("rank", "actor", "network left connected after removal"),
                tuple(
                    (int(r.rank), _name(facts, r.actor_id), _fmt(r.fragmentation_after, 3))
                    for r in facts.key_players.itertuples()
                ),
                "Key players: removing these together fragments the network most",
            )
        )
    return Section("communities", "Communities, hierarchy, leaders and brokers", tuple(blocks))


def build_sections(facts: CaseFacts, *, seed: int = 0) -> list[Section]:
    """All sections of the report, in order."""
    network, _ = network_section(facts, seed=seed)
    hotspots = hotspots_section(facts)
    return [
        summary_section(facts),
        network,
        communities_section(facts),
        *connecting_network_sections(facts),
        activity_section(facts),
        *([hotspots] if hotspots is not None else []),
        hypotheses_section(facts),
        methods_section(facts, seed=seed),
    ]
