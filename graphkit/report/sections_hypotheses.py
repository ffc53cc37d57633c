"""Report section on hypotheses: hand-offs, predicted links and the resolution review queue."""

from __future__ import annotations

from typing import Any

import pandas as pd

from graphkit.report.blocks import Block, Box, Para, Section, Table
from graphkit.report.collect import CaseFacts
from graphkit.report.text import display_names, evidence_text, fmt

__all__ = ["hypotheses_section"]

MAX_HYPOTHESIS_ROWS = 25


def _hyp_table(
    frame: pd.DataFrame, names: dict[str, str], a: str, b: str, *, threshold: bool = True
) -> tuple[Table, ...]:
    """Every hypothesis: the best ``MAX_HYPOTHESIS_ROWS`` open, the rest folded below them.
    ``threshold``: show the threshold column (not for a top-k list, whose only "threshold"
    is its last score)."""
    rows = tuple(
        (
            str(r.review_id),
            names.get(str(r.src), str(r.src)),
            names.get(str(r.dst), str(r.dst)),
            fmt(r.score, 3),
            *((fmt(r.threshold, 3),) if threshold else ()),
            r.status,
            r.model_version,
            evidence_text(r.evidence, names=names),
        )
        for r in frame.itertuples()
    )
    columns = (
        "review id",
        a,
        b,
        "score",
        *(("threshold",) if threshold else ()),
        "status",
        "model",
        "evidence",
    )
    top, rest = rows[:MAX_HYPOTHESIS_ROWS], rows[MAX_HYPOTHESIS_ROWS:]
    tables = [
        Table(
            columns,
            top,
            f"{len(top)} of {len(frame)}, best score first",
            mono=("review id",),
        )
    ]
    if rest:
        tables.append(
            Table(
                columns,
                rest,
                f"the other {len(rest)}, best score first",
                mono=("review id",),
                collapsed=True,
            )
        )
    return tuple(tables)


def _record(record_id: Any, name: Any) -> str:
    """A record as ``Name (source:key)``, or its id alone when the record has no name."""
    return f"{name} ({record_id})" if isinstance(name, str) and name.strip() else str(record_id)


def _predicted_words(facts: CaseFacts) -> str:
    """What the predicted-link list is: the top of a ranking, its score a probability
    calibrated on held-out observed ties (said as odds when low; not the chance that a pair is
    tied in ways the records never show), and how many pairs the cut through equal scores
    left out."""
    summary = (facts.stages.get("predict_links") or {}).get("summary") or {}
    frame = facts.predicted
    open_rows = frame[frame["status"] == "hypothesis"]
    text = (
        f"The {len(open_rows)} pairs with no recorded tie that link prediction ranks highest"
        + (
            f" of {int(summary['candidates']):,} candidate pairs"
            if summary.get("candidates")
            else ""
        )
        + (f" (ranked by {summary['ranked_by']})" if summary.get("ranked_by") else "")
        + ". The score is a probability calibrated on observed ties held out for validation"
    )
    if len(open_rows):
        low, high = float(open_rows["score"].min()), float(open_rows["score"].max())
        odds = f": about 1 in {round(1 / max(high, 1e-9)):,} at best" if high < 0.5 else ""
        text += f" ({fmt(low, 3)} to {fmt(high, 3)} here{odds})"
    text += (
        ". Ties the records never show, the ones sought here, need not follow it (they can be "
        "more or less common among these pairs), so the score orders the list and is not the "
        "chance that a pair is tied: leads to check against the records, not established ties. "
    )
    tied = summary.get("tied_beyond_cut")
    if tied:
        text += (
            f"{int(tied):,} more candidate pairs score as high as the last one listed, so "
            "which of them made the list is arbitrary. "
        )
    return text + f"Status: {_status_counts(frame)}."


def _alternatives_words(n: int) -> str:
    """The sentence on the candidates the hand-off table leaves out."""
    if not n:
        return ""
    return (
        f" {n:,} other candidate(s) the matching did not choose (runners-up, pairs below the "
        "threshold) are kept in the case as model output, each listed with its old number's "
        "chosen hand-off (`graphkit show CASE handoffs --json`), not here."
    )


def _status_counts(frame: pd.DataFrame) -> str:
    counts = frame["status"].value_counts()
    return ", ".join(f"{n} {s}" for s, n in counts.items())


def hypotheses_section(facts: CaseFacts) -> Section:
    """Hand-offs, predicted links and the review queue, framed as hypotheses."""
    names = display_names(facts)
    build_stage = facts.stages.get("build", {})
    build = build_stage.get("summary", {})
    confirmed = int(build.get("confirmed_same_user_as", 0) or 0)
    conflicts = int(build.get("handoff_conflicts", 0) or 0)
    ignored = build_stage.get("settings", {}).get("confirmed_handoffs") == "ignored"
    if ignored:
        used = (
            "The actor graph was built without confirmed hand-offs "
            "(`graphkit build --no-confirmed-handoffs`); "
        )
    elif confirmed:
        used = f"The actor graph used {confirmed} confirmed hand-off(s)" + (
            f", {conflicts} of whose groups join numbers of several persons (each number "
            "kept its person: a merge entity resolution may have missed); "
            if conflicts
            else "; "
        )
    else:
        used = "The actor graph used no hand-off hypotheses; "
    blocks: list[Block] = [
        Para(
            "Everything in this section is model output: a suggestion with a score and the "
            "evidence behind it, not an observed fact. It changes status only when a reviewer "
            "confirms or rejects it (`graphkit review --accept ID` / `--reject ID`, with the "
            "review ids below). "
            + used
            + "unreviewed hypotheses never change the actor graph or any ranking. Blackouts "
            "read a likely hand-off as one user's two numbers and name each hand-off a row rests "
            "on, with its score and status; a rejected one is never used."
        )
    ]
    if not facts.handoffs.empty:
        blocks.append(
            Box(
                "hypothesis",
                "Hand-offs: SAME_USER_AS (old number → new number)",
                (
                    Para(
                        "A number that stopped and a number that started soon after, with the same "
                        "contacts, cells or handset: for each number that stopped, the successor "
                        "the joint matching chose at or above the threshold, and every pair a "
                        f"reviewer decided. Status: {_status_counts(facts.handoffs)}."
                        + _alternatives_words(facts.handoff_alternatives)
                    ),
                    *_hyp_table(facts.handoffs, names, "old number", "new number"),
                ),
            )
        )
    else:
        blocks.append(
            Para("Hand-offs: " + facts.missing.get("handoffs", "none suggested") + ".", muted=True)
        )
    if not facts.predicted.empty:
        blocks.append(
            Box(
                "hypothesis",
                "Predicted links: PREDICTED_LINK (not observed)",
                (
                    Para(_predicted_words(facts)),
                    *_hyp_table(facts.predicted, names, "actor", "actor", threshold=False),
                ),
            )
        )
    else:
        blocks.append(
            Para("Predicted links: " + facts.missing.get("predicted", "none") + ".", muted=True)
        )
    if not facts.review.empty:
        q = facts.review.head(MAX_HYPOTHESIS_ROWS)
        blocks.append(
            Box(
                "hypothesis",
                "Entity resolution: pairs waiting for review",
                (
                    Para(
                        "Record pairs whose match probability lies in the review band; each "
                        "decision is logged and honoured by later runs. Status: "
                        f"{_status_counts(facts.review)}."
                    ),
                    Table(
                        ("review id", "status", "match probability", "record", "record"),
                        tuple(
                            (
                                r.review_id,
                                r.status,
                                fmt(r.match_probability, 3),
                                _record(r.id_l, getattr(r, "name_l", None)),
                                _record(r.id_r, getattr(r, "name_r", None)),
                            )
                            for r in q.itertuples()
                        ),
                        f"{len(q)} of {len(facts.review)}",
                        mono=("review id",),
                    ),
                ),
            )
        )
    return Section("hypotheses", "Hypotheses (model output, for review)", tuple(blocks))
