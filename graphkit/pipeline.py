"""The one place that says which stages run, in which order, with which settings.

Each stage has one shape (:mod:`graphkit.settings`): a frozen, validated ``Settings`` and
``run(store, settings) -> summary``, writing through the store's one write path
(:meth:`graphkit.store.CaseStore.operation`). In data-flow order:

* **ingest**: :mod:`graphkit.ingest.stage`, one source file (and its mapping) per run;
* **resolve**: :mod:`resolution.stage` with :class:`resolution.spec.ResolutionSpec`;
* **build**: :mod:`graphkit.build`;
* **analyze**: :mod:`graphkit.analytics.stage` (its algorithms' :class:`AnalysisSpec`);
* **signals**: :mod:`graphkit.signals.stage`;
* **sensitivity**: :func:`sensitivity`, which re-runs resolve, build and analyze;
* **predict-links**: :mod:`gnn.stage` with :class:`gnn.settings.PredictSettings`;
* **colocate**, **devices**: :mod:`graphkit.cdr.colocate`, :mod:`graphkit.cdr.device_store`;
* **hotspots**: :mod:`graphkit.hotspots.stage`;
* **report**, **export**: :mod:`graphkit.report.stage`, :mod:`graphkit.export.stage` (their
  ``run`` takes the acting person as ``actor``).

:data:`STAGES` names each one's ``Settings`` class and ``run``; :func:`run_stage` checks that
the settings are that stage's before running it. Library code may call a stage's keyword form
(``ingest_file``, ``build_graph``, ``write_report``, ``export_case``), which builds the same
``Settings`` and so has no defaults of its own.

``graphkit analyze`` is :func:`analyze`: the network measures, then the signals (group
blackouts need the communities), then the sensitivity to entity resolution (it re-runs
resolution, build and the measures at the review band's thresholds on scratch copies; with
workers, in worker processes beside the signals). The
CLI commands and ``graphkit demo`` call these functions; nothing else orders stages.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import pandas as pd

from graphkit.analytics import stage as analytics_stage
from graphkit.analytics.measures import PARTS, AnalysisSpec
from graphkit.analytics.parallel import in_background, start_workers_early
from graphkit.analytics.sensitivity_case import (
    compare_rankings,
    held_communities,
    store_sensitivity,
    variant_thresholds,
)
from graphkit.analytics.stage import ALL_PARTS, SENSITIVITY_PART, SIGNAL_PARTS
from graphkit.errors import InputError
from graphkit.signals import stage as signals_stage
from graphkit.store import writes

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "ALL_PARTS",
    "STAGES",
    "StageEntry",
    "analyze",
    "rerun_at_threshold",
    "run_stage",
    "sensitivity",
    "start_sensitivity",
]

log = logging.getLogger(__name__)

#: what the sensitivity re-runs need for the two rankings they compare: ``leadership`` (the
#: hierarchy part, which brings communities and centrality) and ``betweenness`` (centrality).
#: The brokers part (brokerage roles, bridging, key players) feeds neither.
_SENSITIVITY_PARTS = ("hierarchy",)
_RANKING_COLUMNS = "SELECT actor_id, phones, leadership, betweenness FROM analytics_actor"
#: what the measures read from a case (with the call records, which a re-run leaves alone):
#: a variant whose tables hold the same rows as the case's gets the case's rankings
_GRAPH_INPUTS = (
    "SELECT actor_id, kind, phones FROM actor ORDER BY actor_id",
    "SELECT src, dst, layer, weight FROM actor_edge ORDER BY src, dst, layer",
)


@dataclass(frozen=True)
class StageEntry:
    """A stage of the case: its name, the module holding its ``Settings`` and its ``run``
    (imported on first use), and what that ``run`` returns."""

    name: str
    module: str
    settings: str = "Settings"
    function: str = "run"

    def run(self) -> Callable[..., Any]:
        fn: Callable[..., Any] = getattr(importlib.import_module(self.module), self.function)
        return fn

    def settings_class(self) -> type[Any]:
        cls: type[Any] = getattr(importlib.import_module(self.module), self.settings)
        return cls


#: every stage that changes or discloses a case, in data-flow order (``analyze`` below runs
#: the measures, signals and sensitivity as one command). Each ``run(store, settings)``
#: returns its summary: a dict recorded in the manifest, or for ingest, report and export the
#: result object their commands print (counts; the files written with their hashes).
STAGES: dict[str, StageEntry] = {
    e.name: e
    for e in (
        StageEntry("ingest", "graphkit.ingest.stage"),
        StageEntry("resolve", "resolution.stage"),
        StageEntry("build", "graphkit.build"),
        StageEntry("analyze", "graphkit.analytics.stage"),
        StageEntry("signals", "graphkit.signals.stage"),
        StageEntry("predict-links", "gnn.stage"),
        StageEntry("colocate", "graphkit.cdr.colocate", "ColocateSettings", "colocate"),
        StageEntry("devices", "graphkit.cdr.device_store"),
        StageEntry("hotspots", "graphkit.hotspots.stage"),
        StageEntry("report", "graphkit.report.stage"),
        StageEntry("export", "graphkit.export.stage"),
    )
}


def run_stage(store: CaseStore, name: str, settings: Any, **options: Any) -> Any:
    """Run stage ``name`` of :data:`STAGES` with its ``settings`` (an instance of its
    ``Settings``); ``options`` go to its ``run`` (``model_path`` for ``resolve``,
    ``progress`` for ``ingest``, the acting person ``actor`` for ``report`` and ``export``)."""
    entry = STAGES[name]
    expected = entry.settings_class()
    if not isinstance(settings, expected):
        raise TypeError(f"stage {name} takes {expected.__name__}, not {type(settings).__name__}")
    return entry.run()(store, settings, **options)


@writes("analyze", operation="combination")
def analyze(
    store: CaseStore,
    *,
    seed: int = 0,
    only: Iterable[str] | None = None,
    spec: AnalysisSpec | None = None,
) -> dict[str, Any]:
    """``graphkit analyze``: the network measures, the signals, the sensitivity to ER.

    ``only`` picks parts of :data:`ALL_PARTS` (default: all); each stage runs if any of its
    parts is asked for, in the order the module docstring gives. One operation of the store:
    every table and record of the three stages commits together. Returns the summaries.
    """
    parts = list(only) if only is not None else list(ALL_PARTS)
    unknown = sorted(set(parts) - set(ALL_PARTS))
    if unknown:
        raise InputError(f"unknown analysis part(s) {unknown}; choose from {', '.join(ALL_PARTS)}")
    spec = spec or AnalysisSpec()
    if spec.workers > 1 and SENSITIVITY_PART in parts:
        # the workers' server loads what the sensitivity's re-runs need while the measures run
        start_workers_early(("graphkit.pipeline", "graphkit.build", "resolution.stage"))
    summary: dict[str, Any] = {}
    core = tuple(p for p in parts if p in PARTS)
    if core:
        settings = analytics_stage.Settings(seed=seed, parts=core, spec=spec)
        summary.update(analytics_stage.run(store, settings))
    signal_parts = [p for p in parts if p in SIGNAL_PARTS]
    # the sensitivity's re-runs work on scratch copies of the case, made here; with workers
    # they run in worker processes beside the signals (neither reads what the other writes)
    finish = start_sensitivity(store) if SENSITIVITY_PART in parts else None
    try:
        if signal_parts:
            summary.update(
                signals_stage.run(
                    store,
                    signals_stage.Settings(
                        blackouts="blackouts" in signal_parts,
                        handoffs="handoffs" in signal_parts,
                        blackout_fdr=spec.blackout_fdr,
                    ),
                )
            )
    except BaseException:
        if finish is not None:
            finish(keep=False)
        raise
    found = finish() if finish is not None else None
    if found is not None:
        summary["sensitivity_survivors"] = found["survivors"]
        summary["sensitivity_seconds"] = found["seconds"]["total"]
    return summary


def _cpu_seconds() -> float:
    from graphkit.analytics.parallel import cpu_seconds

    return cpu_seconds()  # counts the analysis's forkserver workers too


def graph_inputs_digest(con: Any) -> str:
    """SHA-256 of the actor graph the measures read (actors with their phones, and ties)."""
    digest = hashlib.sha256()
    for sql in _GRAPH_INPUTS:
        for row in con.execute(sql).fetchall():
            digest.update(repr(row).encode())
        digest.update(b"|")
    return digest.hexdigest()


def _reusable_base(store: CaseStore) -> str | None:
    """The digest of the case's actor graph when its stored rankings are what a re-run of the
    measures on that same graph would give: the recorded analysis ran the hierarchy part (so
    communities and centrality too) on the graph the case now holds; else None."""
    analysed = store.stage("analyze") or {}
    done = set((analysed.get("settings") or {}).get("only") or ())
    if not {"hierarchy", "centrality", "communities"} <= done:
        return None
    with store.connect(read_only=True) as con:
        if not (store.table_exists(con, "actor") and store.table_exists(con, "actor_edge")):
            return None
        return graph_inputs_digest(con)


def rerun_at_threshold(
    store: CaseStore,
    workdir: Path,
    name: str,
    threshold: float,
    *,
    base_digest: str | None = None,
) -> pd.DataFrame | None:
    """Resolution, build and the measures re-run at ``threshold`` on a scratch copy of the
    case under ``workdir`` with the recorded settings; returns the copy's ``actor_id``,
    ``phones``, ``leadership`` and ``betweenness``. When ``base_digest`` is given and the
    rebuilt actor graph is the case's own (:func:`graph_inputs_digest`), the measures are
    not re-run (with the recorded seed and settings they would give the case's rankings)
    and None is returned."""
    found, _ = _rerun_variant(_variant_job(store, workdir, name, threshold, base_digest))
    return found


class _VariantJob(NamedTuple):
    """One sensitivity re-run: the scratch copy and the recorded settings it runs with."""

    path: Path
    name: str
    resolved: Any  # resolution.spec.ResolutionSpec at the variant's threshold
    confirmed_handoffs: bool
    seed: int
    spec: AnalysisSpec
    base_digest: str | None
    #: the case's communities (actor_id, phones, community as an integer), which the re-run
    #: holds (:func:`held_communities`); None where the case's analysis has none
    case_communities: pd.DataFrame | None = None


def _case_communities(store: CaseStore) -> pd.DataFrame | None:
    """The case's actors with their phones and community (an integer label), or None."""
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_actor"):
            return None
        columns = {r[0] for r in con.execute("DESCRIBE analytics_actor").fetchall()}
        if not {"community", "phones"} <= columns:
            return None
        frame: pd.DataFrame = con.execute(
            "SELECT actor_id, phones, CAST(substr(community, 2) AS BIGINT) AS community "
            "FROM analytics_actor WHERE community IS NOT NULL ORDER BY actor_id"
        ).df()
    return frame


def _variant_job(
    store: CaseStore, workdir: Path, name: str, threshold: float, base_digest: str | None
) -> _VariantJob:
    """What :func:`_rerun_variant` needs, read from the case here, with the scratch copy made
    (so that the re-run itself opens nothing but the copy, in any process)."""
    from resolution.spec import ResolutionSpec

    resolved = ResolutionSpec.from_dict((store.stage("resolve") or {}).get("settings", {}))
    built = (store.stage("build") or {}).get("settings", {})
    analysed = (store.stage("analyze") or {}).get("settings", {})
    variant = store.scratch_copy(workdir / name)
    return _VariantJob(
        variant.path,
        name,
        replace(resolved, threshold_probability=threshold),
        built.get("confirmed_handoffs") != "ignored",
        int(analysed.get("seed", 0)),
        AnalysisSpec.from_dict(analysed.get("spec", {})),
        base_digest,
        _case_communities(store),
    )


def _rerun_variant(job: _VariantJob) -> tuple[pd.DataFrame | None, dict[str, float]]:
    """:func:`rerun_at_threshold` on the job's scratch copy (may run in a worker process);
    also returns its wall and CPU seconds."""
    from graphkit.build import build_graph
    from graphkit.store import CaseStore
    from resolution.stage import recluster_case

    wall, cpu = time.perf_counter(), _cpu_seconds()
    variant = CaseStore(job.path)
    found: pd.DataFrame | None = None
    # a scratch case: its stages run through its own write path and are thrown away
    with variant.operation("sensitivity re-run", operation="combination") as op:
        recluster_case(variant, spec=job.resolved)
        build_graph(variant, confirmed_handoffs=job.confirmed_handoffs)
        if job.base_digest is not None and graph_inputs_digest(op.con) == job.base_digest:
            log.info("sensitivity: %s gives the case's own actor graph", job.name)
        else:
            # the case's communities are held: what moves is each actor's centrality, its
            # place in its community's ordering and the relayed orders, not Leiden's draw
            held = (
                None
                if job.case_communities is None
                else held_communities(
                    op.con.execute("SELECT actor_id, phones FROM actor").df(),
                    job.case_communities,
                )
            )
            analytics_stage.run(
                variant,
                analytics_stage.Settings(seed=job.seed, parts=_SENSITIVITY_PARTS, spec=job.spec),
                communities=held,
            )
            found = op.con.execute(_RANKING_COLUMNS).df()
    seconds = {
        "wall": round(time.perf_counter() - wall, 3),
        "cpu": round(_cpu_seconds() - cpu, 3),
    }
    return found, seconds


def sensitivity(store: CaseStore, *, top_k: int = 10) -> dict[str, Any] | None:
    """Leaders and brokers at the review band's loose and strict match thresholds, stored
    (``analytics_sensitivity``, stage ``sensitivity``); returns the survivors per ranking
    (``survivors``) and the wall and CPU seconds of each re-run and in all (``seconds``), or
    None when the case has no entity resolution with a review band, or no measures yet."""
    return start_sensitivity(store, top_k=top_k)()


class _Finish(Protocol):
    def __call__(self, *, keep: bool = True) -> dict[str, Any] | None: ...


def _nothing(*, keep: bool = True) -> None:
    return None


#: the sensitivity's scratch folders: ``<prefix><pid of the analysing process>-<random>``
_SCRATCH_PREFIX = "graphkit-sensitivity-"


def clear_abandoned_scratch(root: Path | None = None) -> list[Path]:
    """Remove the sensitivity scratch folders (copies of a case, up to hundreds of MB) left
    in ``root`` (the system's temporary folder) by an ``analyze`` that was killed (kill -9,
    a power cut) before it could clean up: those whose process no longer runs. Returns what
    was removed. A folder of a process still running is left alone."""
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*-*"):
        pid = path.name[len(_SCRATCH_PREFIX) :].split("-")[0]
        if path.is_dir() and pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        log.info("removed %d scratch folder(s) of killed analyses", len(removed))
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def start_sensitivity(store: CaseStore, *, top_k: int = 10) -> _Finish:
    """:func:`sensitivity` in two steps: this call makes the scratch copies and, when the
    recorded analysis has ``workers`` > 1, starts the re-runs in worker processes side by
    side (each with one process: results do not depend on it); the function it returns
    waits for them (or runs them, one after another) and stores the comparison (with
    ``keep=False`` it only waits and cleans up). Between the two the caller may do other work
    on the case (the copies are made already)."""
    resolve = store.stage("resolve")
    if resolve is None:
        log.info("no entity resolution: sensitivity skipped")
        return _nothing
    base_threshold, chosen = variant_thresholds(resolve.get("settings", {}))
    if not chosen:
        log.info("no review band around the match threshold: sensitivity skipped")
        return _nothing
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "analytics_actor"):
            return _nothing
        base = con.execute(_RANKING_COLUMNS).df()
    if base.empty:
        return _nothing
    started = time.perf_counter()
    base_digest = _reusable_base(store)
    clear_abandoned_scratch()
    tmp = tempfile.TemporaryDirectory(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-")
    try:
        jobs = {
            name: _variant_job(store, Path(tmp.name), name, threshold, base_digest)
            for name, threshold in chosen.items()
        }
        side_by_side = len(jobs) > 1 and next(iter(jobs.values())).spec.workers > 1
        pending: dict[str, Callable[[], tuple[pd.DataFrame | None, dict[str, float]]]] = {}
        for name, job in jobs.items():
            log.info("sensitivity: re-running resolution at %.3f (%s)", chosen[name], name)
            if side_by_side:
                one = job._replace(spec=replace(job.spec, workers=1))
                pending[name] = in_background(_rerun_variant, one)
            else:
                pending[name] = partial(_rerun_variant, job)
    except BaseException:
        tmp.cleanup()
        raise

    def finish(*, keep: bool = True) -> dict[str, Any] | None:
        variants: dict[str, pd.DataFrame] = {}
        seconds: dict[str, dict[str, Any]] = {}
        try:
            for name, wait in pending.items():
                if not keep:
                    try:
                        wait()
                    except Exception:  # the caller is raising its own error
                        log.exception("sensitivity re-run %s failed", name)
                    continue
                found_variant, took = wait()
                variants[name] = base if found_variant is None else found_variant
                seconds[name] = {
                    **took,
                    "measures": "the case's own (same actor graph)"
                    if found_variant is None
                    else "re-run, the case's communities held",
                }
        finally:
            tmp.cleanup()
        if not keep:
            return None
        if side_by_side:  # the re-runs overlapped (each other and the caller's work)
            seconds["total"] = {
                "wall": round(time.perf_counter() - started, 3),  # copies to last re-run
                "cpu": round(sum(float(x["cpu"]) for x in seconds.values()), 3),
                "side_by_side": True,
            }
        found = compare_rankings(
            base, variants, {"base": base_threshold, **chosen}, top_k=top_k, seconds=seconds
        )
        summary = store_sensitivity(store, found)
        return {"survivors": summary["survivors"], "seconds": summary["seconds"]}

    return finish
