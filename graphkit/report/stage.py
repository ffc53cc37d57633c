"""``graphkit report``: collect, draw, lay out, write atomically, audit as a consultation."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.export.files import check_target
from graphkit.settings import StageSettings

if TYPE_CHECKING:
    from graphkit.store import CaseStore, Operation

__all__ = [
    "REPORT_FORMATS",
    "ReportResult",
    "Settings",
    "default_report_path",
    "run",
    "write_report",
]

log = logging.getLogger(__name__)

REPORT_FORMATS = ("html", "md")


@dataclass(frozen=True)
class ReportResult:
    """The report written: its path, hash and size, the figure files (Markdown) and timing."""

    path: Path
    sha256: str
    size_bytes: int
    figures: dict[str, str]  # path -> SHA-256 of each figure file (Markdown)
    seconds: float


def default_report_path(store: CaseStore, fmt: str) -> Path:
    """``CASE_DIR/reports/report-<UTC time>.<fmt>``: a new file per run."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return store.path / "reports" / f"report-{stamp}.{fmt}"


@dataclass(frozen=True)
class Settings(StageSettings):
    """The report to write: to ``out`` (default: a new file under ``CASE_DIR/reports``), as
    ``fmt`` (``html``: one self-contained file; ``md``: Markdown with PNG figures beside it),
    its network laid out with ``seed``, replacing an existing file only with ``force``."""

    out: Path | None = None
    fmt: str = "html"
    seed: int = 0
    force: bool = False

    def validate(self) -> None:
        self.require(
            self.fmt in REPORT_FORMATS,
            "fmt",
            f"unknown report format {self.fmt!r}; one of {', '.join(REPORT_FORMATS)}",
        )
        self.require(self.seed >= 0, "seed", "must be 0 or more")


def write_report(store: CaseStore, *, actor: str | None = None, **options: Any) -> ReportResult:
    """:func:`run` with :class:`Settings` given as keywords (``out``, ``fmt``, ``seed``,
    ``force``)."""
    return run(store, Settings(**options), actor=actor)


def run(store: CaseStore, settings: Settings, *, actor: str | None = None) -> ReportResult:
    """Write the case report (HTML, or Markdown with PNG figures beside it); audited.

    The report is read-only with respect to the case; the audit log records it as a
    consultation (by ``actor``) with the report's SHA-256 and the manifest hash it was made
    from.
    """
    fmt, seed, force = settings.fmt, settings.seed, settings.force
    out = settings.out
    if out is None:
        out = default_report_path(store, fmt)
        out.parent.mkdir(exist_ok=True)
    case_hash = store.manifest_sha256()
    detail: dict[str, object] = {"format": fmt, "seed": seed}
    with store.operation(
        "report",
        operation="consultation",
        inputs={"case_manifest": case_hash},
        detail=detail,
        actor=actor,
        intent=True,  # it writes files: a killed report must be seen as one
    ) as entry:
        result = _write(store, entry, out=out, fmt=fmt, seed=seed, force=force)
        entry.outputs.update({str(result.path): result.sha256, **result.figures})
        entry.detail.update(
            bytes=result.size_bytes,
            figures=len(result.figures),
            seconds=round(result.seconds, 3),
        )
    return result


def _write(
    store: CaseStore, op: Operation, *, out: Path, fmt: str, seed: int, force: bool
) -> ReportResult:
    from graphkit.report.collect import collect
    from graphkit.report.sections import build_sections

    started = time.perf_counter()
    target = check_target(out, force=force)
    facts = collect(store)
    sections = build_sections(facts, seed=seed)
    title = f"Case report: {facts.name}"
    subtitle = (
        f"Generated {facts.generated_at} by graphkit {facts.versions['graphkit']} · "
        f"case manifest SHA-256 {facts.manifest_sha256}"
    )
    figures: dict[str, str] = {}
    if fmt == "html":
        from graphkit.report.html import render_html

        data = render_html(sections, title=title, subtitle=subtitle).encode("utf-8")
    else:
        from graphkit.report.markdown import render_markdown

        folder = target.stem + "_files"
        text, pngs = render_markdown(sections, title=title, subtitle=subtitle, folder=folder)
        fig_dir = target.parent / folder
        # every figure target is checked (no symlinked folder, no overwrite without force)
        # before the first one is written
        fig_dir.mkdir(exist_ok=True)
        checked = {name: check_target(fig_dir / name, force=force) for name in pngs}
        for name, png in pngs.items():
            figures[str(checked[name])] = op.write_file(checked[name], png)
        data = text.encode("utf-8")
    digest = op.write_file(target, data)  # renamed into place when the report is audited
    log.info("report written to %s (%d bytes)", target, len(data))
    return ReportResult(target, digest, len(data), figures, time.perf_counter() - started)
