"""The case report: mostly pictures with short explanations (HTML, or Markdown with PNGs).

``write_report(store, out=..., fmt="html")`` reads the case (:mod:`.collect`), builds the
sections (:mod:`.sections`), draws the figures (:mod:`.figures`) and writes one self-contained
file (:mod:`.html`, :mod:`.markdown`), audited as a consultation.
"""

from __future__ import annotations

from graphkit.report.stage import REPORT_FORMATS, ReportResult, default_report_path, write_report

__all__ = ["REPORT_FORMATS", "ReportResult", "default_report_path", "write_report"]
