"""The case report: mostly pictures with short explanations (HTML, or Markdown with PNGs).

``run(store, Settings(out=..., fmt="html"))`` (or ``write_report(store, out=...)``) reads the
case (:mod:`.collect`), builds the sections (:mod:`.sections`), draws the figures
(:mod:`.figures`) and writes one self-contained file (:mod:`.html`, :mod:`.markdown`),
audited as a consultation.
"""

from __future__ import annotations

from graphkit.report.stage import (
    REPORT_FORMATS,
    ReportResult,
    Settings,
    default_report_path,
    run,
    write_report,
)

__all__ = [
    "REPORT_FORMATS",
    "ReportResult",
    "Settings",
    "default_report_path",
    "run",
    "write_report",
]
