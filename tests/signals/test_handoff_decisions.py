"""Reviewers' decisions move the hand-off queue as an analyst expects: a rejected choice gives
way to the next candidate, an accepted one settles its old number's item, deciding again
restores the queue, and publish, export and `same_user_links` carry what the queue carries.

The expected queue comes from :func:`_proposals`, the rule written out plainly over the stored
rows (an oracle for :func:`graphkit.hypotheses.handoff_standing_sql`)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from typer.testing import CliRunner

from graphkit.cli.app import app
from graphkit.hypotheses import hypothesis_id
from graphkit.people import directory
from graphkit.store import CaseStore
from graphkit.views import format_number

runner = CliRunner()
REVIEWER = "Jane Doe"


def _cli(*args: str) -> str:
    res = runner.invoke(app, list(args), env={"GRAPHKIT_ACTOR": REVIEWER, "COLUMNS": "4000"})
    assert res.exit_code == 0, res.output
    return " ".join(res.output.split())


def _decide(store: CaseStore, verdict: str, hid: str) -> str:
    return _cli("review", str(store.path), f"--{verdict}", hid)


def _queue(store: CaseStore) -> dict[str, dict[str, Any]]:
    """The pending hand-off queue, by old number (one item each)."""
    out = json.loads(
        _cli("review", str(store.path), "--queue", "handoffs", "--limit", "0", "--json")
    )
    items = {r["old"]: r for r in out}
    assert len(items) == len(out)
    return items


def _item(store: CaseStore, hid: str) -> dict[str, Any]:
    shown = json.loads(_cli("review", str(store.path), "--id", hid, "--json"))
    assert len(shown) == 1
    item: dict[str, Any] = shown[0]
    return item


def _stored(store: CaseStore) -> list[dict[str, Any]]:
    with store.connect(read_only=True) as con:
        cur = con.execute(
            "SELECT src, dst, score, threshold, status, "
            "CAST(json_extract(evidence, '$.assigned') AS BOOLEAN) AS assigned "
            "FROM rel_same_user_as ORDER BY src, score DESC, dst"
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["id"] = hypothesis_id("H", r["src"], r["dst"])
    return rows


def _proposals(rows: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Old number -> (review id, "chosen" or "next") of its open proposal, by the rule of
    docs/signals.md: a confirmed successor settles a number; else the joint matching's choice
    at or above the threshold, unless its new number was confirmed for another number; once a
    reviewer ruled the choice out, the best undecided candidate at or above the threshold
    whose new number no other number holds (confirmed, or as its open choice)."""
    confirmed = [r for r in rows if r["status"] == "confirmed"]
    settled = {r["src"] for r in confirmed}

    def confirmed_elsewhere(r: dict[str, Any]) -> bool:
        return any(c["dst"] == r["dst"] and c["src"] != r["src"] for c in confirmed)

    chosen = {
        r["src"]: r
        for r in rows
        if r["assigned"]
        and r["status"] == "hypothesis"
        and r["score"] >= r["threshold"]
        and r["src"] not in settled
        and not confirmed_elsewhere(r)
    }
    out = {src: (r["id"], "chosen") for src, r in chosen.items()}
    reopened = {
        r["src"]
        for r in rows
        if r["assigned"]
        and r["src"] not in settled | set(chosen)
        and (r["status"] == "rejected" or confirmed_elsewhere(r))
    }
    open_ = [
        r
        for r in rows
        if r["src"] in reopened
        and r["status"] == "hypothesis"
        and r["score"] >= r["threshold"]
        and not confirmed_elsewhere(r)
        and not any(c["dst"] == r["dst"] for s, c in chosen.items() if s != r["src"])
    ]
    taken: set[str] = set()  # one new number per reopened item, highest score first
    for r in sorted(open_, key=lambda r: (-r["score"], r["src"], r["dst"])):
        if r["src"] not in out and r["dst"] not in taken:
            out[r["src"]] = (r["id"], "next")
            taken.add(r["dst"])
    return out


def _check_queue(store: CaseStore) -> dict[str, dict[str, Any]]:
    """The queue is the rule's proposals, each marked chosen or next."""
    queued = _queue(store)
    expected = _proposals(_stored(store))
    assert {old: (r["id"], r["standing"]) for old, r in queued.items()} == expected
    return queued


def _crossing(store: CaseStore) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(A's choice, A's best runner-up at or above the threshold, B's choice) where that
    runner-up's new number is B's choice: two numbers of one group-wide swap."""
    rows = _stored(store)
    chosen = {r["src"]: r for r in rows if r["assigned"] and r["score"] >= r["threshold"]}
    for src, choice in sorted(chosen.items()):
        others = [
            r
            for r in rows
            if r["src"] == src and not r["assigned"] and r["score"] >= r["threshold"]
        ]
        if not others:
            continue
        best = max(others, key=lambda r: r["score"])
        holder = next((c for s, c in chosen.items() if s != src and c["dst"] == best["dst"]), None)
        if holder is not None:
            return choice, best, holder
    raise AssertionError("the case has no runner-up that is another number's choice")


def _alterations(store: CaseStore) -> list[str]:
    """Review ids of the decisions the audit log records (outcome success)."""
    lines = (store.path / "audit.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines]
    return [
        e["inputs"]["review_id"]
        for e in entries
        if e["command"] == "review" and e["operation"] == "alteration"
        if e["outcome"] == "success"
    ]


def _says(text: str, words: str) -> bool:
    """``words`` are in ``text``, a phone in them perhaps followed by its user's name (the
    CLI names each phone where a message first gives it)."""
    parts = [re.escape(p) for p in re.split(r"(\+\d+)", words) if p]
    pattern = "".join(f"{p}(?: \\([^)]*\\))?" if p.startswith(r"\+") else p for p in parts)
    return re.search(pattern, text) is not None


def _name_after(text: str, phone: str, store: CaseStore) -> None:
    """A named actor's phone is followed by its name wherever the text first gives it."""
    actor = directory(store).get(phone)
    if actor is not None and actor.named:
        assert f"{phone} ({actor.name}" in text


def test_the_rule_holds_before_any_decision(queue_case: CaseStore) -> None:
    queued = _check_queue(queue_case)
    assert queued and all(r["standing"] == "chosen" for r in queued.values())


def test_rejecting_the_choice_proposes_the_next_candidate(queue_case: CaseStore) -> None:
    a_choice, a_next, b_choice = _crossing(queue_case)
    a, b = a_choice["src"], b_choice["src"]
    # A's best runner-up is B's choice: while B's item holds it, A does not propose it
    said = _decide(queue_case, "reject", a_choice["id"])
    queued = _check_queue(queue_case)
    assert queued.get(a, {}).get("id") != a_next["id"]
    rejected = _item(queue_case, a_choice["id"])
    notes = {alt["id"]: alt["note"] for alt in rejected["alternatives"]}
    assert notes[a_next["id"]] == f"the joint matching's choice for {b}"
    if a not in queued:
        assert f"no successor found for {a}: the item is settled" in said
    # B's choice rejected: its new number is free, and A's item proposes it
    said = _decide(queue_case, "reject", b_choice["id"])
    queued = _check_queue(queue_case)
    assert queued[a]["id"] == a_next["id"] and queued[a]["standing"] == "next"
    # the message says what changed in the queue: A's next candidate, its score and id
    assert _says(said, f"next candidate for {a}: {a_next['dst']}")
    assert f"score {format_number(a_next['score'])}, {a_next['id']} (pending review)" in said
    _name_after(said, a_next["dst"], queue_case)
    # the item leads with what it replaces, and the rejected choice is listed as rejected
    text = queued[a]["explanation"]
    assert text.startswith(f"next candidate for {a}")
    assert f"{a_choice['id']}) was rejected by {REVIEWER}" in text
    assert f"({a_choice['id']}, rejected by {REVIEWER})" in text
    assert text.endswith("; not reviewed")  # a hypothesis, however it got there
    # the rejected choice's own item names its successor proposal
    rejected = _item(queue_case, a_choice["id"])
    assert rejected["status"] == "rejected"
    assert f"next candidate for {a}" in rejected["explanation"]


def test_rejecting_every_candidate_settles_the_item(queue_case: CaseStore) -> None:
    a_choice, _, b_choice = _crossing(queue_case)
    a = a_choice["src"]
    _decide(queue_case, "reject", b_choice["id"])
    proposed = a_choice["id"]
    seen = []
    said = ""
    for _ in range(len(_stored(queue_case))):
        said = _decide(queue_case, "reject", proposed)
        seen.append(proposed)
        queued = _check_queue(queue_case)
        if a not in queued:
            break
        assert queued[a]["standing"] == "next" and queued[a]["id"] not in seen
        assert f"next candidate for {a}" in said and queued[a]["id"] in said
        proposed = queued[a]["id"]
    assert len(seen) >= 2  # a next candidate was proposed, then rejected too
    assert a not in _queue(queue_case)
    assert f"no successor found for {a}: the item is settled" in said
    for hid in seen:
        shown = _item(queue_case, hid)
        assert shown["status"] == "rejected"
        assert f"no successor found for {a}" in shown["explanation"]
    # only what the reviewer did is recorded: one decision per rejection, nothing else
    assert _alterations(queue_case) == [b_choice["id"], *seen]


def test_accepting_a_runner_up_settles_the_item(queue_case: CaseStore) -> None:
    a_choice, a_runner_up, b_choice = _crossing(queue_case)
    a, b = a_choice["src"], b_choice["src"]
    said = _decide(queue_case, "accept", a_runner_up["id"])
    queued = _check_queue(queue_case)
    assert a not in queued  # settled: neither the choice nor any other candidate pending
    assert f"the successor of {a} is {a_runner_up['dst']}" in said
    assert f"not chosen, out of the queue (left undecided): {a_choice['dst']}" in said
    # B's choice is A's successor now: B's item moved on, and the message says where
    assert b_choice["id"] not in {r["id"] for r in queued.values()}
    assert (f"next candidate for {b}" in said) or (f"no successor found for {b}" in said)
    # the original choice is not silently rejected: still undecided in the table
    rows = {r["id"]: r for r in _stored(queue_case)}
    assert rows[a_choice["id"]]["status"] == "hypothesis"
    assert rows[b_choice["id"]]["status"] == "hypothesis"
    assert _alterations(queue_case) == [a_runner_up["id"]]
    shown = _item(queue_case, a_choice["id"])
    assert shown["standing"] == "not chosen" and shown["status"] == "hypothesis"
    assert (
        f"not chosen: {a_runner_up['dst']} ({a_runner_up['id']}) was confirmed by {REVIEWER}"
        in shown["explanation"]
    )
    confirmed = _item(queue_case, a_runner_up["id"])
    notes = {alt["id"]: alt["note"] for alt in confirmed["alternatives"]}
    assert notes[a_choice["id"]] == f"not chosen: {a_runner_up['dst']} was confirmed by {REVIEWER}"


def test_deciding_again_restores_the_queue(queue_case: CaseStore) -> None:
    a_choice, a_runner_up, _ = _crossing(queue_case)
    a = a_choice["src"]
    before = {old: r["id"] for old, r in _check_queue(queue_case).items()}
    _decide(queue_case, "accept", a_runner_up["id"])
    said = _decide(queue_case, "reject", a_runner_up["id"])
    assert "rejected (was confirmed)" in said
    assert _says(said, f"proposed for {a}: {a_choice['dst']}") and a_choice["id"] in said
    assert {old: r["id"] for old, r in _check_queue(queue_case).items()} == before
    # the other way round: the choice rejected (the next proposed), then accepted after all
    _decide(queue_case, "reject", a_choice["id"])
    _check_queue(queue_case)
    said = _decide(queue_case, "accept", a_choice["id"])
    assert f"the successor of {a} is {a_choice['dst']}" in said
    after = {old: r["id"] for old, r in _check_queue(queue_case).items()}
    assert after == {old: hid for old, hid in before.items() if old != a}


def _actor_of(store: CaseStore) -> dict[str, str]:
    with store.connect(read_only=True) as con:
        rows = con.execute("SELECT unnest(phones), actor_id FROM actor").fetchall()
    return {str(p): str(a) for p, a in rows}


def _pairs(rows: Iterable[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(r["src"], r["dst"]) for r in rows}


def test_every_surface_carries_what_the_queue_carries(queue_case: CaseStore) -> None:
    from graphkit.export.select import Selection, select_subgraph
    from graphkit.hypotheses import same_user_links
    from graphkit.publish.source import plan_writes

    a_choice, a_runner_up, b_choice = _crossing(queue_case)
    _decide(queue_case, "accept", a_runner_up["id"])  # settles A, moves B on
    queued = _check_queue(queue_case)
    other = next(r for r in queued.values() if r["old"] not in (a_choice["src"], b_choice["src"]))
    _decide(queue_case, "reject", other["id"])
    queued = _check_queue(queue_case)
    _cli("build", str(queue_case.path))
    rows = _stored(queue_case)
    by_id = {r["id"]: r for r in rows}
    open_ = [by_id[r["id"]] for r in queued.values()]
    decided = [r for r in rows if r["status"] != "hypothesis"]
    # Neo4j gets the proposals and every decision (a rejection with its status), nothing else
    with queue_case.connect(read_only=True) as con:
        steps = [s for s in plan_writes(con) if s.label_or_type == "SAME_USER_AS"]
        published = {(r[0], r[1]) for s in steps for r in con.execute(s.sql).fetchall()}
        links = same_user_links(con)
    assert published == _pairs(open_) | _pairs(decided)
    assert (a_choice["src"], a_choice["dst"]) not in published  # not chosen: no finding
    # one user's numbers: the open proposals and the confirmed, between two actors
    actor = _actor_of(queue_case)
    held = [r for r in [*open_, *decided] if r["status"] != "rejected"]
    apart = [r for r in held if actor.get(r["src"]) and actor.get(r["dst"])]
    apart = [r for r in apart if actor[r["src"]] != actor[r["dst"]]]
    assert {hid for *_, hid, _ in links} == {r["id"] for r in apart}
    assert a_choice["id"] not in {hid for *_, hid, _ in links}
    # an export discloses the same pairs (between the actors selected: here all of them)
    sub = select_subgraph(queue_case, Selection(include_hypotheses=True))
    exported = sub.edges[sub.edges["layer"] == "same_user_as"]
    assert set(zip(exported["src"], exported["dst"], strict=True)) == {
        (actor[r["src"]], actor[r["dst"]]) for r in apart
    }


def test_a_second_confirmed_successor_is_allowed_and_warned_of(queue_case: CaseStore) -> None:
    a_choice, a_runner_up, _b_choice = _crossing(queue_case)
    first = _decide(queue_case, "accept", a_choice["id"])
    assert "warning" not in first
    second = _decide(queue_case, "accept", a_runner_up["id"])
    assert (
        f"warning: {a_choice['src']} now has 2 confirmed successors (also "
        f"{a_choice['dst']} ({a_choice['id']})): if one is a mistake, reject it"
    ) in second
    rows = {r["id"]: r for r in _stored(queue_case)}
    assert rows[a_choice["id"]]["status"] == rows[a_runner_up["id"]]["status"] == "confirmed"


def test_reopened_items_never_propose_the_same_new_number(queue_case: CaseStore) -> None:
    """Two old numbers (of one group-wide swap) whose best runner-up is the same new number:
    with both choices rejected (and that number's own choice, where it is one), the
    higher-scoring claim proposes it and the other item its own next candidate, or settles;
    never one new number proposed for two old numbers."""
    rows = _stored(queue_case)
    chosen = {r["src"]: r for r in rows if r["assigned"] and r["score"] >= r["threshold"]}
    best: dict[str, dict[str, Any]] = {}
    for src in chosen:
        others = [
            r
            for r in rows
            if r["src"] == src and not r["assigned"] and r["score"] >= r["threshold"]
        ]
        if others:
            best[src] = min(others, key=lambda r: (-r["score"], r["dst"]))
    shared = defaultdict(list)
    for src, r in best.items():
        shared[r["dst"]].append(src)
    new, (a, b) = next((d, sorted(srcs)[:2]) for d, srcs in sorted(shared.items()) if len(srcs) > 1)
    holder = [c for c in chosen.values() if c["dst"] == new]
    for r in [chosen[a], chosen[b], *holder]:
        _decide(queue_case, "reject", r["id"])
    queued = _check_queue(queue_case)  # the oracle takes them greedily, highest score first
    first = min((best[a], best[b]), key=lambda r: (-r["score"], r["src"]))
    later = b if first["src"] == a else a
    assert queued[first["src"]]["id"] == first["id"]
    assert queued.get(later, {}).get("id") != best[later]["id"]
    # every new number is proposed by one old number at most, across the whole queue
    ids = {q["id"] for q in queued.values()}
    proposed = [r["dst"] for r in rows if r["id"] in ids]
    assert len(proposed) == len(set(proposed)) == len(queued)
