"""Storing device findings (:mod:`graphkit.cdr.devices`) as hypotheses, through the store's
one write path: one row per finding in its declared table (``rel_moved_to_handset``,
``rel_took_sim``, ``rel_cloned_sim``) with score, threshold, model version, evidence and
status; undecided rows of earlier runs are replaced, decided ones kept. Only findings at or
above their threshold are stored (the ones the command reports): a candidate below it is
counted in the summary and never stored, queued for review or published as a finding."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit.cdr.devices import MODEL_VERSION, REL_TYPES, DeviceFindings, Settings, detect_devices
from graphkit.model import relationship, relationship_ddl
from graphkit.store import writes

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["Settings", "run", "store_devices"]

log = logging.getLogger(__name__)


def _moved_rows(f: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": f["phone"].astype(str),
            "dst": f["new_imei"].astype(str),
            "score": f["score"].astype(float),
            "threshold": threshold,
            "evidence": [
                json.dumps(
                    {
                        "old_imei": r.old_imei,
                        "new_imei": r.new_imei,
                        "imsi": r.new_imsi,
                        "last_on_old": r.last_old.isoformat(),
                        "first_on_new": r.first_new.isoformat(),
                        "last_old_cell": r.last_old_cell,
                        "first_new_cell": r.first_new_cell,
                        "records_on_old": int(r.n_old),
                        "records_on_new": int(r.n_new),
                    },
                    sort_keys=True,
                )
                for r in f.itertuples()
            ],
        }
    )


def _changed_rows(f: pd.DataFrame, threshold: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": f["imei"].astype(str),
            "dst": f["new_phone"].astype(str),
            "score": f["score"].astype(float),
            "threshold": threshold,
            "evidence": [
                json.dumps(
                    {
                        "imei": r.imei,
                        "old_phone": r.old_phone,
                        "new_phone": r.new_phone,
                        "old_imsi": r.old_imsi,
                        "new_imsi": r.new_imsi,
                        "last_old": r.last_old.isoformat(),
                        "first_new": r.first_new.isoformat(),
                        "last_old_cell": r.last_old_cell,
                        "first_new_cell": r.first_new_cell,
                        "records_old": int(r.n_old),
                        "records_new": int(r.n_new),
                    },
                    sort_keys=True,
                )
                for r in f.itertuples()
            ],
        }
    )


def _clone_rows(f: pd.DataFrame, threshold: float, *, settings: Settings) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "src": f["phone"].astype(str),
            "dst": f["phone"].astype(str),
            "score": f["score"].astype(float),
            "threshold": threshold,
            "evidence": [
                json.dumps(
                    {
                        "impossible_hops": int(r.hops),
                        "handset_returns": int(r.returns),
                        "days": int(r.days),
                        "max_distance_km": (
                            round(float(r.max_distance_m) / 1000, 1)
                            if pd.notna(r.max_distance_m)
                            else None
                        ),
                        "imeis": list(r.imeis),
                        "fastest_hops": list(r.evidence_hops),
                        "speed_limit_kmh": settings.max_speed_kmh,
                        "coverage_allowance_km": settings.tolerance_m / 1000,
                        "clock_allowance_min": settings.resolution_s / 60,
                        "first_returns": list(r.evidence_returns),
                    },
                    sort_keys=True,
                )
                for r in f.itertuples()
            ],
        }
    )


@writes("devices", operation="combination")
def store_devices(store: CaseStore, findings: DeviceFindings) -> dict[str, Any]:
    """Replace this method's undecided hypotheses by the reported ``findings`` (score at or
    above the check's threshold), keeping rows a reviewer decided; record the stage
    ``devices``. Returns the summary: candidates and reported rows per check (the stored
    hypotheses are the reported ones), and what was not checked."""
    s = findings.settings
    builders: dict[str, tuple[Callable[[pd.DataFrame, float], pd.DataFrame], float]] = {
        "sim_moved": (_moved_rows, s.swap_threshold),
        "sim_changed": (_changed_rows, s.swap_threshold),
        "clones": (partial(_clone_rows, settings=s), s.clone_threshold),
    }
    summary: dict[str, Any] = {}
    with store.connect() as con:
        for name, frame in findings.frames().items():
            build, threshold = builders[name]
            found = frame[frame["reported"].astype(bool)] if len(frame) else frame
            rows = (
                build(found, threshold)
                if len(found)
                else pd.DataFrame(columns=["src", "dst", "score", "threshold", "evidence"])
            )
            rows["model_version"] = MODEL_VERSION
            rel = relationship(REL_TYPES[name])
            table = rel.table  # from the declared model, never from input
            con.execute(relationship_ddl(rel))  # a case made before the type was declared
            con.execute(
                f"DELETE FROM {table} WHERE status = 'hypothesis' AND model_version LIKE ?",
                ["devices-%"],
            )
            con.register("device_frame", rows)
            con.execute(
                f"""
                INSERT INTO {table} (src, dst, score, threshold, model_version, evidence, status)
                SELECT h.src, h.dst, max(h.score), any_value(h.threshold),
                       any_value(h.model_version), CAST(arg_max(h.evidence, h.score) AS JSON),
                       'hypothesis'
                FROM device_frame h
                WHERE NOT EXISTS (SELECT 1 FROM {table} d WHERE d.src = h.src AND d.dst = h.dst)
                GROUP BY h.src, h.dst
                ORDER BY max(h.score) DESC, h.src, h.dst
                """
            )
            con.unregister("device_frame")
            summary[name] = {
                "candidates": len(frame),
                "reported": int(frame["reported"].sum()) if len(frame) else 0,
            }
    summary["not_checked"] = dict(findings.not_checked)
    store.record_stage("devices", settings=s.to_dict(), summary=summary)
    log.info("device findings stored: %s", summary)
    return summary


def run(store: CaseStore, settings: Settings) -> dict[str, Any]:
    """The devices stage: :func:`~graphkit.cdr.devices.detect_devices` with ``settings``,
    stored by :func:`store_devices`; returns its summary (``not_checked`` says which checks
    the case could not support, and why)."""
    return store_devices(store, detect_devices(store, settings))
