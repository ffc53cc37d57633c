"""``graphkit export``: select, pseudonymise, render, check, write, describe, audit.

Every export is a disclosure: it needs a purpose and a recipient, it is written to the audit
log (operation ``disclosure``, success or failure), and a manifest beside the file records the
file's SHA-256, the case manifest hash, the selection, the code version and whether (and with
which key id) it was pseudonymised.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit import __version__
from graphkit.audit import sha256_bytes
from graphkit.errors import GraphkitError, InputError
from graphkit.export.files import check_target
from graphkit.export.formats import FORMATS, render
from graphkit.export.pseudonymise import (
    MIN_IDENTIFIER_CHARS,
    Pseudonymiser,
    case_identifiers,
    case_key,
    key_id,
    leaked_identifiers,
    raw_identifiers,
)
from graphkit.export.select import Selection, select_subgraph
from graphkit.settings import StageSettings

if TYPE_CHECKING:
    from graphkit.store import CaseStore, Operation

__all__ = ["ExportResult", "Settings", "export_case", "export_paths", "run"]

log = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class Settings(StageSettings):
    """One export: the ``selection`` of the case, as ``fmt`` (one of
    :data:`~graphkit.export.formats.FORMATS`), to ``out``, disclosed for ``purpose`` to
    ``recipient`` (both recorded in the audit log and the manifest beside the file), with
    identifiers replaced by keyed tokens when ``pseudonymise``, replacing existing files only
    with ``force``."""

    fmt: str
    out: Path
    purpose: str
    recipient: str
    selection: Selection = field(default_factory=Selection)
    pseudonymise: bool = False
    force: bool = False

    def validate(self) -> None:
        self.require(
            self.fmt in FORMATS,
            "fmt",
            f"unknown export format {self.fmt!r}; one of {', '.join(FORMATS)}",
        )
        self.require(
            bool(self.purpose.strip()), "purpose", "an export needs a purpose (why it is disclosed)"
        )
        self.require(
            bool(self.recipient.strip()), "recipient", "an export needs a recipient (who gets it)"
        )


def export_case(store: CaseStore, *, actor: str | None = None, **options: Any) -> ExportResult:
    """:func:`run` with :class:`Settings` given as keywords."""
    return run(store, Settings(**options), actor=actor)


def run(store: CaseStore, settings: Settings, *, actor: str | None = None) -> ExportResult:
    """Export the selected subgraph of the case as ``settings.fmt`` to ``settings.out``;
    audited as a disclosure by ``actor``.

    Raises SettingsError for a refused target, InputError for a bad selection, CaseError when
    the case lacks the stages the selection needs, and GraphkitError when a pseudonymised file
    would still hold a raw identifier (nothing is written then).
    """
    fmt, out, selection, force = settings.fmt, settings.out, settings.selection, settings.force
    pseudonymise_ids = settings.pseudonymise
    purpose, recipient = settings.purpose, settings.recipient
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
    pseudonymiser = None
    identifiers: dict[str, str] = {}
    if pseudonymise_ids:
        key = case_key(store)
        key_fingerprint = key_id(key)
        meta["key_id"] = key_fingerprint
        known = case_identifiers(store)
        pseudonymiser = Pseudonymiser(key, known)
        # scanned for: every raw identifier of the case (evidence reaches beyond the selection)
        identifiers = {v: kind for v, (kind, _) in known.items()}
        identifiers.update((v, "id") for v in raw_identifiers(sub) if v not in identifiers)
        identifiers = {v: k for v, k in identifiers.items() if len(v) >= MIN_IDENTIFIER_CHARS}
        detail = _pseudonymised_detail(pseudonymiser, detail, selection)
        sub = pseudonymiser.subgraph(sub)
    data = render(sub, fmt, meta=meta)
    hashes = {part: sha256_bytes(blob) for part, blob in data.items()}
    manifest = {
        **{k: v for k, v in detail.items() if k != "out"},
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "graphkit_version": __version__,
        "case_id": store.case_id,
        "case_name": store.manifest.get("name"),
        "case_manifest_sha256": case_hash,
        "key_id": key_fingerprint,
        "files": [
            {"name": targets[part].name, "sha256": hashes[part], "bytes": len(blob)}
            for part, blob in data.items()
        ],
        "counts": {
            "nodes": len(sub.nodes),
            "edges": len(sub.edges),
            "hypotheses": sub.hypotheses,
        },
        "notes": list(sub.notes),
    }
    if pseudonymiser is not None:
        manifest.update(pseudonymiser.walk({k: manifest[k] for k in ("case_name", "notes")}))
    manifest_bytes = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    if pseudonymise_ids:  # checked before anything is written: a refused export leaves nothing
        blobs = {
            **{part or "file": blob for part, blob in data.items()},
            "manifest": manifest_bytes,
        }
        for part, blob in blobs.items():
            _refuse_leaks(fmt, part, blob, identifiers)
    files: dict[Path, str] = {}
    for part, blob in data.items():  # renamed into place when the export is audited
        files[targets[part]] = op.write_file(targets[part], blob)
    op.write_file(manifest_target, manifest_bytes)
    log.info("exported %d nodes, %d edges to %s", len(sub.nodes), len(sub.edges), list(files))
    return ExportResult(
        files=files,
        manifest=manifest_target,
        nodes=len(sub.nodes),
        edges=len(sub.edges),
        hypotheses=sub.hypotheses,
        pseudonymised=pseudonymise_ids,
    )


def _pseudonymised_detail(
    pseudonymiser: Pseudonymiser, detail: dict[str, Any], selection: Selection
) -> dict[str, Any]:
    """The export's description as its manifest carries it: the manifest travels with the
    file, so the actors asked for are named by their tokens and its free text (purpose,
    recipient) is scrubbed like evidence. The audit log keeps the raw form."""
    return {
        **pseudonymiser.walk({k: v for k, v in detail.items() if k != "selection"}),
        "selection": {
            **pseudonymiser.walk(detail["selection"]),
            "actors": [pseudonymiser.of(a) for a in selection.actors],
        },
    }


def _refuse_leaks(fmt: str, part: str, blob: bytes, identifiers: dict[str, str]) -> None:
    """GraphkitError (one line: how many, of which kinds; never the values) when ``blob``
    still holds a raw identifier of the case or an E.164-shaped number."""
    leaks = leaked_identifiers(blob, identifiers)
    if not leaks:
        return
    kinds: dict[str, int] = {}
    for v in leaks:
        kind = identifiers.get(v, "phone-shaped numbers")
        kinds[kind] = kinds.get(kind, 0) + 1
    what = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    raise GraphkitError(
        f"pseudonymised {fmt} {part} would still hold {len(leaks)} raw identifier(s) ({what}); "
        "nothing was written"
    )
