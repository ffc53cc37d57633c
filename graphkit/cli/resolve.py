"""`graphkit resolve` and `graphkit review`: records -> persons, and human review of pairs,
hand-offs and predicted links."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from graphkit.audit import sha256_file
from graphkit.cli._common import ACTOR, audited, console, flag_names, open_case, progress, render
from graphkit.cli.cells import readable
from graphkit.hypotheses import Standing, Status
from graphkit.people import directory
from resolution.spec import ResolutionSpec

__all__ = ["register"]

_DEFAULT = ResolutionSpec()  # the option defaults are the settings' own
#: settings field -> the option that sets it (errors name the option)
FLAGS = {
    "engine": "--engine",
    "threshold_probability": "--threshold",
    "review_low_probability": "--review-low",
    "review_high_probability": "--review-high",
    "model_path": "--model",
}


def resolve(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.")],
    model: Annotated[
        Path | None,
        typer.Option("--model", help="Reuse a saved Splink JSON model instead of training."),
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="duckdb (default) or spark (pyspark, local mode).")
    ] = _DEFAULT.engine,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Merge pairs at or above this probability.")
    ] = _DEFAULT.threshold_probability,
    review_low: Annotated[
        float, typer.Option("--review-low", help="Queue pairs for review from this probability.")
    ] = _DEFAULT.review_low_probability,
    review_high: Annotated[
        float, typer.Option("--review-high", help="... up to (excluding) this probability.")
    ] = _DEFAULT.review_high_probability,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the u sampling.")] = _DEFAULT.seed,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Resolve person records into persons with Splink (train, score, cluster, review queue).

    Example: graphkit resolve mycase --threshold 0.95
    """
    from graphkit.pipeline import run_stage

    with flag_names(FLAGS):
        spec = ResolutionSpec(
            threshold_probability=threshold,
            review_low_probability=review_low,
            review_high_probability=review_high,
            seed=seed,
            engine=engine,  # type: ignore[arg-type]  # validated by the spec
        )
    store = open_case(case_dir)
    inputs = {"manifest_sha256": store.manifest_sha256()}
    if model is not None and model.is_file():
        inputs["model_sha256"] = sha256_file(model)
    with (
        audited(store, command="resolve", operation="combination", inputs=inputs) as entry,
        flag_names(FLAGS),
        progress() as bar,
    ):
        task = bar.add_task("resolve", total=None)
        summary = run_stage(
            store,
            "resolve",
            spec,
            model_path=model,
            step=lambda m: bar.update(task, description=f"resolve: {m}"),
        )
        entry.outputs["model_sha256"] = summary["model_sha256"]
        entry.detail.update(summary)
        entry.detail["settings"] = spec.to_dict()
    if json_output:
        render([summary], json_output=True, title="resolve")
        return
    n = {k: f"{v:,}" if isinstance(v, int) else str(v) for k, v in summary.items()}
    console.print(
        f"{n['records']} records -> {n['persons']} persons "
        f"({n['merged_records']} records merged; {n['new_person_ids']} new ids, "
        f"{n['kept_person_ids']} kept, {n['retired_person_ids']} retired)"
    )
    console.print(
        f"{n['pairs_scored']} pairs scored; review queue: {n['review_pending']} "
        f"pending, {n['review_decided']} decided; identities: {n['phones']} "
        f"phones, {n['accounts']} accounts, {n['devices']} devices"
    )


def _field_text(value: Any) -> str:
    """A record's field as the table shows it: a list as its items joined by commas."""
    if value is None or (isinstance(value, list | tuple | str) and not value):
        return ""
    return str(readable(value))


def _show_item(item: dict[str, Any]) -> None:
    from resolution.review import waterfall_text

    table = Table(
        title=f"{item['review_id']}  p={item['match_probability']:.4f}  "
        f"weight={item['match_weight']:+.2f}  ({item['status']})",
        header_style="bold",
    )
    table.add_column("field")
    table.add_column(f"left ({item['person_l']})", overflow="fold")
    table.add_column(f"right ({item['person_r']})", overflow="fold")
    for f in item["fields"]:
        left, right = f["left"], f["right"]
        if left is None and right is None:
            continue
        mark = "" if left == right else "[yellow]"
        # a list (phones, names) as its items, not a Python list
        table.add_row(
            f["field"],
            mark + escape(_field_text(left)),
            mark + escape(_field_text(right)),
        )
    console.print(table)
    console.print(escape(waterfall_text(item["waterfall"])), highlight=False)
    console.print()


_QUEUES = ("pairs", "handoffs", "links", "devices")


def _decide(store: Any, rid: str, decision: str, note: str | None, json_output: bool) -> None:
    """Record a decision on an entity-resolution pair (R...) or a hypothesis (H..., L...)."""
    import resolution.stage  # noqa: F401  (registers the decider of R... pairs)
    from graphkit.audit import default_actor
    from graphkit.hypotheses import HYPOTHESIS_KINDS, Judgement, decide, hypothesis_state

    who = ACTOR["actor"] or default_actor()  # the person the audit entry names
    if rid[:1] in HYPOTHESIS_KINDS:
        state = hypothesis_state(store, rid)
        if state is not None and state["status"] == Judgement.parse(decision).status:
            # deciding what is already decided changes nothing: no write, no audit entry
            if json_output:
                render([{**state, "changed": False}], json_output=True, title="decision")
                return
            console.print(
                escape(
                    directory(store).name_text(
                        f"{rid}: {state['kind']} {state['src']} -> {state['dst']} is already "
                        f"{state['status']}; nothing changed"
                    )
                ),
                highlight=False,
            )
            return
    before = None
    if rid[:1] == "H":  # the review items the decision can move, to say which it moved
        from graphkit.signals.views import handoff_items

        before = handoff_items(store, rid)
    with audited(
        store, command="review", operation="alteration", inputs={"review_id": rid}
    ) as entry:
        row = decide(store, rid, decision, actor=who, note=note)
        entry.detail.update({k: v for k, v in row.items() if k != "decided_at"})
        if note:
            entry.detail["note"] = note
    if json_output:
        render([row], json_output=True, title="decision")
        return
    if rid[:1] == "H":
        from graphkit.signals.views import handoff_decision_note

        message = (
            f"{rid}: hand-off {row['src']} -> {row['dst']} {row['status']} (was "
            f"{row['previous_status']}); {handoff_decision_note(store, rid, before=before)}"
        )
    elif rid[:1] == "L":
        message = (
            f"{rid}: predicted link {row['src']} - {row['dst']} {row['status']} "
            f"(was {row['previous_status']}); it is never predicted again"
        )
    elif rid[:1] in ("S", "T", "C"):  # device swaps and clones (graphkit devices)
        message = (
            f"{rid}: {row['kind']} {row['src']} -> {row['dst']} {row['status']} "
            f"(was {row['previous_status']}); kept as decided when `graphkit devices` runs again"
        )
    else:
        message = (
            f"{rid}: {decision}ed ({row['id_l']} / {row['id_r']}); "
            f"re-clustered: {row['persons']} persons"
        )
    # people by name beside their numbers and ids
    console.print(escape(directory(store).name_text(message)), highlight=False)


def _pending(
    store: Any, queue: str, limit: int, json_output: bool, item: str | None = None
) -> None:
    """Show the pending hand-offs or predicted links, best first, with their review ids (or
    the one item ``item``, whatever its status)."""
    from graphkit.views import get_view

    name = {"handoffs": "handoffs", "links": "predicted-links", "devices": "devices"}[queue]
    with audited(store, command="review", operation="consultation") as entry:
        if item and queue == "handoffs":
            # any stored candidate, finding or not (a runner-up, one not chosen)
            from graphkit.signals.views import handoff_item

            found = handoff_item(store, item)
            view = get_view(name)
            pending = directory(store).name_rows([found], view.actors) if found else []
        else:
            # every row of the view, filtered, then cut: the view's own default limit would
            # hide pending items ranked below its first rows
            pending = [
                r
                for r in get_view(name).page(store, limit=0).rows
                if (
                    r["id"] == item
                    if item
                    # a device candidate below its threshold is not a finding (older cases
                    # stored them): never queued
                    else r["status"] == Status.HYPOTHESIS and r.get("reported", True)
                )
            ]
        rows = pending[:limit] if limit else pending
        entry.detail.update(queue=queue, shown=len(rows), pending=len(pending))
    if queue == "handoffs":
        # one item per old number, its chosen successor: the rank is 1 but for a decided
        # alternative (--id), and the other candidates are in the explanation
        columns = ["id", "old", "new", "score", "explanation"]
        if item:
            columns.insert(columns.index("score") + 1, "rank")
    elif queue == "devices":
        columns = ["id", "check", "phone", "score", "explanation"]
    else:
        columns = ["id", "a", "b", "score", "explanation"]
    if item:  # one item, whatever its status: say which
        columns.insert(columns.index("score") + 1, "status")
    title = name if item else f"pending {name}"
    render(rows, json_output=json_output, title=title, columns=columns)
    if rows and not json_output:
        if len(pending) > len(rows):
            console.print(f"{len(pending) - len(rows):,} more pending (--limit 0 shows all)")
        if queue == "handoffs" and not item:
            console.print(_handoff_footer(pending), highlight=False)
        console.print(
            f"decide with: graphkit review {store.path} --accept ID (or --reject ID) --note WHY"
        )


def _handoff_footer(pending: list[dict[str, Any]]) -> str:
    """What the hand-off queue holds: one item per old number, and how many of them the
    records already agree with (accepting those changes nothing in the actor graph)."""
    agreed = sum(1 for r in pending if r.get("same_person"))
    text = (
        "one item per old number still open: the successor the joint matching chose (at or "
        "above the threshold), or once a reviewer ruled that out the next candidate; its "
        "other candidates named inside"
    )
    following = sum(1 for r in pending if r.get("standing") == Standing.NEXT)
    if following:
        text += f"; next candidates (a decision ruled the choice out): {following:,}"
    if agreed:
        text += (
            f"; {agreed:,} of the {len(pending):,} join numbers the records already give to "
            "one person (listed last: accepting one changes nothing in the actor graph)"
        )
    return text


def review(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.")],
    accept: Annotated[
        str | None,
        typer.Option(
            "--accept",
            help="Review id: R... the two records are one person; H... the hand-off is real "
            "(one user); L... the predicted tie is real.",
        ),
    ] = None,
    reject: Annotated[
        str | None,
        typer.Option("--reject", help="Review id: never one person / not a hand-off / no tie."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Why (kept in the audit).")] = None,
    item: Annotated[
        str | None, typer.Option("--id", help="Show this review item (any status).")
    ] = None,
    queue: Annotated[
        str,
        typer.Option(
            "--queue",
            help="What to list: pairs (entity resolution), handoffs, links (predicted) or "
            "devices (swaps and clones).",
        ),
    ] = "pairs",
    limit: Annotated[int, typer.Option("--limit", help="Pending items to show.")] = 5,
    json_output: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Review uncertain pairs, hand-offs and predicted links, then decide.

    Entity-resolution decisions become must-link / cannot-link constraints: the persons are
    re-clustered at once and every later `graphkit resolve` honours them. A confirmed hand-off
    makes its two numbers one actor at the next `graphkit build` and settles its old number's
    item (the other candidates leave the queue, undecided); rejecting the proposed successor
    offers the next candidate, until none is left ("no successor found"). Every decision is audited
    (alteration); unreviewed hypotheses never change the actor graph or any ranking (blackouts
    name each likely hand-off they rest on; a rejected one is never used).

    Example: graphkit review mycase --limit 3 ; graphkit review mycase --queue handoffs ;
    graphkit review mycase --accept H1f3a09c2b7de --note "same handset seen by the operator"
    """
    from graphkit.hypotheses import HYPOTHESIS_KINDS
    from resolution.views import review_items

    store = open_case(case_dir)
    if accept and reject:
        raise typer.BadParameter("give --accept or --reject, not both")
    if queue not in _QUEUES:
        raise typer.BadParameter(f"--queue must be one of {', '.join(_QUEUES)}")
    rid = accept or reject
    if rid is not None:
        _decide(store, rid, "accept" if accept else "reject", note, json_output)
        return
    if item and item[:1] in HYPOTHESIS_KINDS:
        queue = HYPOTHESIS_KINDS[item[:1]].queue
    if queue != "pairs":
        _pending(store, queue, limit, json_output, item)
        return
    with audited(store, command="review", operation="consultation") as entry:
        items = review_items(store, limit=limit, review_id=item)
        entry.detail["shown"] = len(items)
    if json_output:
        render(items, json_output=True, title="review")
        return
    if not items:
        console.print("review queue: nothing pending")
    for shown in items:
        _show_item(shown)


def register(app: typer.Typer) -> None:
    app.command("resolve")(resolve)
    app.command("review")(review)
