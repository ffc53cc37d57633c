"""`graphkit init` and `graphkit status`."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from graphkit.cli._common import ACTOR, console, open_case, render
from graphkit.store import CaseStore
from graphkit.views import communities_phrase, community_sizes, format_number

__all__ = ["register"]

CaseDir = Annotated[Path, typer.Argument(help="The case directory.", show_default=False)]


def init(
    case_dir: CaseDir,
    name: Annotated[str | None, typer.Option(help="Case name (default: directory name).")] = None,
) -> None:
    """Create a new case: a DuckDB file, a manifest and an audit log.

    Example: graphkit init cases/op-lighthouse
    """
    store = CaseStore.init(case_dir, name=name, actor=ACTOR["actor"])
    console.print(f"created case [bold]{store.manifest['name']}[/bold] in {case_dir}")


def status_rows(store: CaseStore) -> dict[str, Any]:
    """Sources, row counts, rejects and stages of a case, as plain data."""
    m = store.manifest
    sources = m.get("sources", {})
    return {
        "case": m.get("name"),
        "case_id": m.get("case_id"),
        "created_at": m.get("created_at"),
        "manifest_sha256": store.manifest_sha256(),
        "sources": [
            {
                "source": n,
                "kind": s.get("kind"),
                "status": s.get("status"),
                "rows_read": s.get("rows_read"),
                "accepted": s.get("accepted"),
                "rejected": s.get("rejected"),
                "duplicates": s.get("duplicates"),
            }
            for n, s in sorted(sources.items())
        ],
        "totals": {
            "rows_read": sum(int(s.get("rows_read") or 0) for s in sources.values()),
            "accepted": sum(int(s.get("accepted") or 0) for s in sources.values()),
            "rejected": sum(int(s.get("rejected") or 0) for s in sources.values()),
        },
        "stages": {
            n: {"ran_at": s.get("ran_at"), **s.get("summary", {})}
            for n, s in sorted(m.get("stages", {}).items())
        },
        "models": m.get("models", {}),
        "audit_entries": (m.get("audit_head") or {}).get("seq", -1) + 1,
    }


#: what the short status says about each stage: its summary fields -> one phrase
_STAGE_FACTS: dict[str, tuple[tuple[str, ...], str]] = {
    "resolve": (
        ("records", "persons", "review_pending"),
        "{records:,} records -> {persons:,} persons; {review_pending:,} pairs to review",
    ),
    "build": (("actors", "ties"), "{actors:,} actors, {ties:,} ties"),
    "analyze": (("communities_text", "actors"), "{communities_text} ({actors:,} actors)"),
    "blackouts": (
        ("phone", "actor", "group"),
        "blackouts: {phone:,} phone, {actor:,} actor, {group:,} group",
    ),
    "handoffs": (("assigned", "candidates"), "{assigned:,} hand-offs of {candidates:,} candidates"),
    "sensitivity": (
        ("leaders", "brokers"),
        "survive other ER thresholds: leaders {leaders}, brokers {brokers}",
    ),
    "colocate": (
        ("reported", "tested", "groups"),
        "{reported:,} pairs together at unusual places (of {tested:,} tested), {groups:,} groups",
    ),
    "devices": (
        ("sim_moved_reported", "sim_changed_reported", "clones_reported"),
        "SIM moved to another handset {sim_moved_reported:,}, handset took another SIM "
        "{sim_changed_reported:,}, cloned or shared numbers {clones_reported:,} (hypotheses)",
    ),
    "predict_links": (
        ("stored", "ranked_by", "actors", "candidates"),
        "{stored:,} predicted links stored, ranked by {ranked_by} (of {candidates:,} candidate "
        "pairs among the {actors:,} actors with a tie)",
    ),
    "hotspots": (
        ("forecast", "train", "incidents_trained_on", "area_cells"),
        "forecast {forecast} from {train}: {incidents_trained_on:,} incidents, "
        "{area_cells:,} cells",
    ),
}
_FALLBACK_FACTS = 3


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    """A stage summary with the nested counts the short status uses lifted to the top."""
    flat = dict(summary)
    tables = summary.get("tables")
    if isinstance(tables, dict):
        flat.setdefault("actors", tables.get("actor"))
        flat.setdefault("ties", tables.get("actor_edge"))
    if isinstance(summary.get("communities"), int):  # status() says which are actors alone
        flat.setdefault("communities_text", f"{summary['communities']:,} communities")
    survivors = summary.get("survivors")
    if isinstance(survivors, dict):
        flat.update({k: v for k, v in survivors.items() if k not in flat})
    for name, part in summary.items():  # devices: {check: {reported, candidates}}
        if isinstance(part, dict) and "reported" in part:
            flat.setdefault(f"{name}_reported", part["reported"])
    return flat


def stage_line(name: str, summary: dict[str, Any]) -> str:
    """One phrase for a stage's summary: its key counts, or its first few numbers."""
    flat = _flat(summary)
    fields, template = _STAGE_FACTS.get(name, ((), ""))
    if fields and all(flat.get(f) is not None for f in fields):
        return template.format(**{f: flat[f] for f in fields})
    numbers = [
        f"{k} {format_number(v) if isinstance(v, float) else f'{v:,}'}"
        for k, v in summary.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    return ", ".join(numbers[:_FALLBACK_FACTS])


def _when(ran_at: Any) -> str:
    return str(ran_at or "")[:16].replace("T", " ")


def _short_status(info: dict[str, Any], case_dir: Path) -> None:
    """A few lines: the case, its sources and rejects, each stage with its key counts."""
    console.print(
        f"[bold]{escape(str(info['case']))}[/bold]  manifest {info['manifest_sha256'][:16]}…  "
        f"audit log {info['audit_entries']:,} entries",
        highlight=False,
    )
    sources, t = info["sources"], info["totals"]
    kinds = Counter(str(s["kind"]) for s in sources)
    console.print(
        f"sources  {len(sources)} ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}): "
        f"{t['rows_read']:,} rows read = {t['accepted']:,} accepted + {t['rejected']:,} rejected",
        highlight=False,
    )
    rejected = [s for s in sources if s.get("rejected")]
    if rejected:
        listed = ", ".join(f"{s['source']} {s['rejected']:,}" for s in rejected)
        console.print(
            f"rejects  {escape(listed)}  (graphkit show {case_dir} rejects)", highlight=False
        )
    stages = sorted(info["stages"].items(), key=lambda kv: (str(kv[1].get("ran_at")), kv[0]))
    if not stages:
        console.print("[dim]no analysis stage has run yet[/dim]")
    width = max((len(n) for n, _ in stages), default=0)
    for name, summary in stages:
        line = stage_line(name, summary)
        console.print(
            f"  {name:<{width}}  {_when(summary.get('ran_at'))}  {escape(line)}", highlight=False
        )
    console.print("[dim]--detail: every source and stage field; --json for scripts[/dim]")


def status(
    case_dir: CaseDir,
    detail: Annotated[
        bool, typer.Option("--detail", help="Every source and every field of each stage.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show a case in a few lines: sources, rows accepted and rejected, and the stages that
    have run with their key counts (times in UTC). --detail prints the full tables.

    Example: graphkit status cases/op-lighthouse --detail
    """
    store = open_case(case_dir)
    info = status_rows(store)
    if json_output:
        render([info], json_output=True, title="status")
        return
    if not detail:
        sizes = community_sizes(store) if "analyze" in info["stages"] else None
        if sizes is not None:  # single actors are not communities
            info["stages"]["analyze"]["communities_text"] = communities_phrase(sizes)
        _short_status(info, case_dir)
        return
    console.print(f"[bold]{info['case']}[/bold]  manifest {info['manifest_sha256'][:16]}…")
    render(info["sources"], json_output=False, title="sources")
    t = info["totals"]
    console.print(f"rows read {t['rows_read']}, accepted {t['accepted']}, rejected {t['rejected']}")
    stages = info["stages"]
    if stages:
        render(
            [{"stage": n, **v} for n, v in stages.items()],
            json_output=False,
            title="stages run",
        )
    else:
        console.print("[dim]no analysis stage has run yet[/dim]")
    console.print(f"audit log: {info['audit_entries']} entries")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("status")(status)
