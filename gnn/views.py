"""The `predicted-links` view: stored PREDICTED_LINK hypotheses with their evidence."""

from __future__ import annotations

import json
from typing import Any

from gnn.data import SIDE_SIGNALS as _SIDE_SIGNALS
from gnn.scorers import SHARED_NEIGHBOUR_INDICES
from graphkit.hypotheses import id_sql, status_words
from graphkit.store import CaseStore
from graphkit.views import format_number, view

__all__ = ["link_explanation", "predicted_links_view"]

_FEATURES_SAID = 3
_NAMED = 5  # shared contacts and paths named in the explanation (--json has the evidence)
_PATH_INDEX = {"katz": "Katz", "ppr": "personalised PageRank"}


def link_explanation(row: dict[str, Any]) -> str:
    """One paragraph from a predicted link's evidence: how the two actors are connected in
    the observed graph, the classic link-prediction indices, and the model's main inputs."""
    ev = row.get("evidence") or {}
    if not isinstance(ev, dict):
        ev = {}
    parts: list[str] = []
    hops = ev.get("shortest_path_hops")
    paths = ev.get("paths") or []
    if hops is None:
        parts.append("no path of 3 hops or fewer joins them in the observed graph")
    else:
        via = " or ".join(" - ".join(map(str, p[1:-1])) for p in paths[:_NAMED] if len(p) > 2)
        parts.append(f"{hops} hops apart" + (f" (via {via})" if via else ""))
    shared = ev.get("n_shared_contacts")
    if shared:
        listed = [str(x) for x in (ev.get("shared_contacts") or [])[:_NAMED]]
        more = int(shared) - len(listed)
        names = ", ".join(listed) + (f" and {more} more" if listed and more > 0 else "")
        parts.append(f"{shared} shared contact(s)" + (f": {names}" if names else ""))
    if ev.get("colocation_days"):
        parts.append(
            f"seen together on one cell on {ev['colocation_days']} day(s), away from where "
            "either usually is"
        )
    if ev.get("shared_money_counterparties"):
        parts.append(f"{ev['shared_money_counterparties']} shared money counterparty(ies)")
    heur = ev.get("heuristics") or {}
    if "adamic_adar" in heur and "jaccard" in heur:
        parts.append(f"Adamic-Adar {heur['adamic_adar']:.2f}, Jaccard {heur['jaccard']:.2f}")
    top = [f for f in ev.get("top_features") or [] if isinstance(f, dict)][:_FEATURES_SAID]
    if top:
        said = ", ".join(f"{f['feature']} = {f['value']:.3g}" for f in top)
        parts.append(f"the model's main inputs: {said}")
    if ev.get("ranked_by"):
        by = str(ev["ranked_by"])
        # lists stored before the evidence named it were filled by Katz
        then = _PATH_INDEX.get(str(ev.get("then_by", "katz")), str(ev.get("then_by")))
        if by in _SIDE_SIGNALS:
            how = f"{by}, then {then} where there is none"
        elif by in SHARED_NEIGHBOUR_INDICES and "then_by" in ev:
            how = f"{by}, then {then} where the two share no contact"
        else:  # lists stored before the pairs without a shared contact were ordered
            how = by
        parts.append(
            f"ranked by {how} (the learned model did not beat it on validation by more than chance)"
        )
    score = row.get("score")
    status = status_words(row)
    tail = f"score {format_number(score)}, {status}" if score is not None else status
    return "; ".join([*parts, tail])


@view(
    "predicted-links",
    help="predicted hidden ties (hypotheses): a, b, score, evidence",
    actors=("a", "b"),
)
def predicted_links_view(store: CaseStore, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows ``{id, a, b, score, status, model_version, evidence, explanation}``, best score
    first; ``id`` is the review id (``graphkit review --accept``)."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "rel_predicted_link"):
            return []
        cur = con.execute(
            f"""
            SELECT {id_sql("L")} AS id, src AS a, dst AS b, score, status, model_version, evidence
            FROM rel_predicted_link ORDER BY score DESC, src, dst LIMIT ?
            """,
            [limit if limit is not None else 2**62],
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    for row in rows:
        if isinstance(row["evidence"], str):
            row["evidence"] = json.loads(row["evidence"])
        row["explanation"] = link_explanation(row)
    return rows
