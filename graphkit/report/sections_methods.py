"""Report section on methods and provenance: stages, models, sensitivity, limitations."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from graphkit.report.blocks import Block, Box, Para, Section, Table
from graphkit.report.collect import CaseFacts
from graphkit.report.text import display_names, fmt

__all__ = ["methods_section"]


def _settings_text(settings: dict[str, Any]) -> str:
    keep = {k: v for k, v in settings.items() if not isinstance(v, dict | list) or k == "only"}
    return json.dumps(keep, sort_keys=True, default=str)[:400]


LIMITATIONS = (
    "Records can be wrong, incomplete or late; everything here is only as good as the sources "
    "listed in the summary.",
    "Communities, ranks and roles are statistical descriptions of who talks to whom, not "
    "proof of membership, rank or role; several seeded runs and a significance test guard "
    "against chance structure, not against missing data.",
    "Direction-based hierarchy assumes that initiating contact signals seniority; "
    "organisations where juniors report upwards by phone invert it.",
    "Hypotheses (hand-offs, predicted links, uncertain record matches) stay hypotheses until "
    "a reviewer decides; their scores are not probabilities of guilt.",
    "Times are UTC; an actor's rhythm in local time may differ.",
)


_RANKING_NOUN = {"leaders": ("leader", "leadership"), "brokers": ("broker", "betweenness")}


def _sensitivity_blocks(facts: CaseFacts) -> list[Block]:
    info = facts.sensitivity_info
    th, k = info["thresholds"], int(info["top_k"])
    names = display_names(facts)
    variants = [v for v in ("loose", "strict") if v in th]
    blocks: list[Block] = [
        Para(
            f"Rankings under other entity-resolution thresholds: persons were formed at match "
            f"probability {th['base']:g}; `graphkit analyze` re-ran resolution, build and "
            "analysis at "
            + " and ".join(f"{th[v]:g} ({v})" for v in variants)
            + ", holding the case's communities (each re-formed actor keeps the community of "
            "most of its phones), so a rank moves only with what the threshold changes: "
            "centrality, place in the community's ordering, relayed orders. An actor who "
            "drops out of a top list depends on how records were matched: check the "
            "resolution of their records before relying on the rank."
        )
    ]
    for ranking, (noun, measure) in _RANKING_NOUN.items():
        t = facts.sensitivity[facts.sensitivity["ranking"] == ranking]
        if t.empty:
            continue
        agree = info["agreement"].get(ranking, {})
        kept = int(t["survives"].sum())
        blocks.append(
            Para(
                f"{noun.capitalize()}s (by {measure}): {kept} of the top {len(t)} stay in the "
                f"top {k} under every threshold; "
                + "; ".join(
                    f"{v}: top-{k} {_overlap(agree[v])}, Kendall "
                    f"tau {fmt(float(agree[v]['kendall_tau']))}"
                    for v in variants
                    if v in agree
                )
                + "."
            )
        )
        rows = tuple(
            (
                names.get(str(r["actor_id"]), str(r["actor_id"])),
                int(r["rank"]),
                *(
                    fmt(int(r[f"rank_{v}"])) if pd.notna(r[f"rank_{v}"]) else f"> {k}"
                    for v in variants
                ),
                "yes" if r["survives"] else "no",
            )
            for _, r in t.iterrows()
        )
        columns = (
            noun,
            f"rank at {th['base']:g}",
            *(f"rank at {th[v]:g} ({v})" for v in variants),
            f"stays in top {k}",
        )
        blocks.append(Table(columns, rows, f"Sensitivity of the {noun} ranking"))
    return blocks


def _overlap(agreement: dict[str, float]) -> str:
    """``overlap X``: the share of both top lists' actors found in the other (matched by
    phones); a case analysed before session 19 recorded the Jaccard index of the two lists'
    ids instead, said as such."""
    if "top_k_overlap" in agreement:
        return f"overlap {fmt(float(agreement['top_k_overlap']))}"
    return f"Jaccard index of the ids {fmt(float(agreement.get('jaccard_top_k', float('nan'))))}"


def methods_section(facts: CaseFacts, *, seed: int) -> Section:
    """Manifest hash, stages and settings, models, versions, sensitivity, limitations."""
    blocks: list[Block] = [
        Para(
            f"Manifest SHA-256 {facts.manifest_sha256}: the case state this report was made from. "
            f"The network layout used seed {seed}. Settings, seeds and thresholds of every stage "
            "are below as recorded in the manifest."
        )
    ]
    stages = tuple(
        (
            name,
            s.get("ran_at", ""),
            s.get("graphkit_version", ""),
            _settings_text(s.get("settings", {})),
        )
        for name, s in sorted(facts.stages.items())
    )
    blocks.append(Table(("stage", "ran at", "version", "settings"), stages, "Stages run"))
    if facts.models:
        blocks.append(
            Table(
                ("model", "file", "SHA-256"),
                tuple(
                    (k, v.get("path", ""), v.get("sha256", ""))
                    for k, v in sorted(facts.models.items())
                ),
                "Models saved with the case",
                mono=("SHA-256",),
            )
        )
    blocks.append(Table(("software", "version"), tuple(sorted(facts.versions.items())), "Versions"))
    if facts.sensitivity_info:
        blocks += _sensitivity_blocks(facts)
    else:
        blocks.append(
            Para(
                "Sensitivity of the leader and broker rankings to entity-resolution "
                "thresholds: "
                + facts.missing.get("sensitivity", "not available")
                + "; the rankings above hold for the threshold recorded under `resolve`.",
                muted=True,
            )
        )
    missing = [f"{part}: {why}" for part, why in sorted(facts.missing.items())]
    blocks.append(
        Box(
            "note",
            "Limitations",
            tuple(
                Para(x)
                for x in (
                    *LIMITATIONS,
                    *(
                        ["Parts not available in this case: " + "; ".join(missing) + "."]
                        if missing
                        else []
                    ),
                )
            ),
        )
    )
    return Section("methods", "Methods and provenance", tuple(blocks))
