"""``graphkit export``: select, pseudonymise, render, check, write, describe, audit.

Every export is a disclosure: it needs a purpose and a recipient, it is written to the audit
log (operation ``disclosure``, success or failure), and a manifest beside the file records the
file's SHA-256, the case manifest hash, the selection, the code version and whether (and with
which key id) it was pseudonymised.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit import __version__
from graphkit.errors import GraphkitError, InputError
from graphkit.export.files import check_target
from graphkit.export.formats import FORMATS, render
from graphkit.export.pseudonymise import (
    case_key,
    key_id,
    leaked_identifiers,
    pseudonymise,
    raw_identifiers,
    token,
    token_map,
)
from graphkit.export.select import Selection, select_subgraph

if TYPE_CHECKING:
    from graphkit.store import CaseStore, Operation

__all__ = ["ExportResult", "export_case", "export_paths"]

log = logging.getLogger(__name__)
_MIN_IDENTIFIER_CHARS = 5  # shorter ids (codes like N12) are no personal identifiers


@dataclass(frozen=True)
class ExportResult:
    """What was written: files with their hashes, the manifest, and the counts."""

    files: dict[Path, str]
    manifest: Path
    nodes: int
    edges: int
    hypotheses: int
    pseudonymised: bool


def export_paths(out: Path, fmt: str) -> tuple[dict[str, Path], Path]:
    """Target of each part of an export and of its manifest.

    CSV writes ``STEM.nodes.csv`` and ``STEM.edges.csv`` (``--out STEM.csv`` or ``STEM``);
    other formats write ``out`` itself. The manifest is ``<out>.manifest.json``.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")
    if fmt == "csv":
        stem = out.name.removesuffix(".csv")
        parts = {p: out.with_name(f"{stem}.{p}.csv") for p in ("nodes", "edges")}
    else:
        parts = {"": out}
    return parts, out.with_name(out.name + ".manifest.json")


def export_case(
    store: CaseStore,
    *,
    fmt: str,
    out: Path,
    selection: Selection,
    purpose: str,
    recipient: str,
    pseudonymise_ids: bool = False,
    force: bool = False,
    actor: str | None = None,
) -> ExportResult:
    """Export the selected subgraph of the case as ``fmt`` to ``out``; audited as disclosure.

    Raises InputError for a refused target, a missing purpose or recipient or a bad selection,
    CaseError when the case lacks the stages the selection needs, and GraphkitError when a
    pseudonymised file would still hold a raw identifier (nothing is written then).
    """
    if not purpose.strip() or not recipient.strip():
        raise InputError("an export needs a --purpose and a --recipient")
    parts, manifest_path = export_paths(out, fmt)
    case_hash = store.manifest_sha256()
    detail: dict[str, Any] = {
        "format": fmt,
        "purpose": purpose,
        "recipient": recipient,
        "selection": selection.to_dict(),
        "pseudonymised": pseudonymise_ids,
        "out": str(out),
    }
    with store.operation(
        "export",
        operation="disclosure",
        inputs={"case_manifest": case_hash},
        detail=detail,
        actor=actor,
    ) as entry:
        targets = {p: check_target(t, case_dir=store.path, force=force) for p, t in parts.items()}
        manifest_target = check_target(manifest_path, case_dir=store.path, force=force)
        result = _export(
            store,
            op=entry,
            fmt=fmt,
            targets=targets,
            manifest_target=manifest_target,
            selection=selection,
            detail=detail,
            case_hash=case_hash,
            pseudonymise_ids=pseudonymise_ids,
        )
        entry.outputs.update({str(p): h for p, h in result.files.items()})
        entry.detail.update(
            nodes=result.nodes,
            edges=result.edges,
            hypotheses=result.hypotheses,
            manifest=str(result.manifest),
        )
    return result


def _export(
    store: CaseStore,
    *,
    op: Operation,
    fmt: str,
    targets: dict[str, Path],
    manifest_target: Path,
    selection: Selection,
    detail: dict[str, Any],
    case_hash: str,
    pseudonymise_ids: bool,
) -> ExportResult:
    sub = select_subgraph(store, selection)
    meta: dict[str, Any] = {
        "generator": f"graphkit {__version__}",
        "case_id": store.case_id,
        "case_manifest_sha256": case_hash,
        "pseudonymised": pseudonymise_ids,
    }
    key_fingerprint = None
    if pseudonymise_ids:
        identifiers = {v for v in raw_identifiers(sub) if len(v) >= _MIN_IDENTIFIER_CHARS}
        key = case_key(store)
        key_fingerprint = key_id(key)
        meta["key_id"] = key_fingerprint
        known = token_map(sub, key=key)
        # the manifest travels with the file: the actors asked for are named by their tokens
        detail = {
            **detail,
            "selection": {
                **detail["selection"],
                "actors": [known.get(a) or token(key, a, prefix="A") for a in selection.actors],
            },
        }
        sub = pseudonymise(sub, key=key)
    data = render(sub, fmt, meta=meta)
    if pseudonymise_ids:
        for part, blob in data.items():
            leaks = leaked_identifiers(blob, identifiers)
            if leaks:
                raise GraphkitError(
                    f"pseudonymised {fmt} {part or 'file'} would still hold {len(leaks)} raw "
                    "identifier(s); nothing was written"
                )
    files: dict[Path, str] = {}
    for part, blob in data.items():  # renamed into place when the export is audited
        files[targets[part]] = op.write_file(targets[part], blob)
    manifest = {
        **{k: v for k, v in detail.items() if k != "out"},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "graphkit_version": __version__,
        "case_id": store.case_id,
        "case_name": store.manifest.get("name"),
        "case_manifest_sha256": case_hash,
        "key_id": key_fingerprint,
        "files": [
            {"name": targets[part].name, "sha256": files[targets[part]], "bytes": len(blob)}
            for part, blob in data.items()
        ],
        "counts": {
            "nodes": len(sub.nodes),
            "edges": len(sub.edges),
            "hypotheses": sub.hypotheses,
        },
        "notes": list(sub.notes),
    }
    op.write_file(manifest_target, (json.dumps(manifest, indent=2) + "\n").encode("utf-8"))
    log.info("exported %d nodes, %d edges to %s", len(sub.nodes), len(sub.edges), list(files))
    return ExportResult(
        files=files,
        manifest=manifest_target,
        nodes=len(sub.nodes),
        edges=len(sub.edges),
        hypotheses=sub.hypotheses,
        pseudonymised=pseudonymise_ids,
    )
