"""Pseudonymised exports: identifiers replaced by keyed tokens that stay stable in a case.

A token is ``PREFIX-`` followed by the first 16 hex digits of HMAC-SHA256(key, value) (RFC 2104),
so one value gives one token in every export of the case (analysts can join two exports) and
nobody without the key can test a guess ("is +44 7700 900123 in this file?"), which a plain
hash would allow. The prefix says what kind of identifier it was; the digits depend on the
value only, so an actor's id and its phone number keep matching digits. A raw form of an
identifier (``07700 900123`` as a source file wrote it) gets the token of its normalised value.

The key (32 random bytes) is created on first use in ``CASE_DIR/keys/pseudonym.key`` with
mode 0600, linked into place whole (:func:`graphkit.export.files.create_once`): it stays with
the case and never goes into an export. The manifest of an export carries ``key_id``, an HMAC
of a constant, so two exports can be told to share a key without revealing it.

Three lines of defence, all over every identifier the *case* holds (:func:`case_identifiers`),
not only those of the selection (evidence names actors outside it):

1. a structural walk: identifier columns, and evidence fields declared to hold identifiers
   (:data:`EVIDENCE_IDENTIFIERS`), are replaced value by value;
2. every other string, in evidence at any depth and in the other text columns, is scanned as
   free text: known identifiers standing as words, and anything shaped like a phone number,
   IMEI/IMSI/document number or IBAN, are replaced;
3. the rendered bytes are scanned once more (:func:`leaked_identifiers`) and the export is
   refused when any raw identifier of the case remains.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from graphkit.errors import CaseError
from graphkit.export.files import create_once
from graphkit.export.select import NODE_LIST_COLUMNS, Subgraph

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "EVIDENCE_IDENTIFIERS",
    "KEY_FILE",
    "Pseudonymiser",
    "case_identifiers",
    "case_key",
    "key_id",
    "leaked_identifiers",
    "pseudonymise",
    "raw_identifiers",
    "token",
]

KEY_FILE = Path("keys") / "pseudonym.key"
_KEY_BYTES = 32
#: Token prefix of each kind of identifier.
_PREFIX = {
    "phones": "PH",
    "imeis": "IMEI",
    "imsis": "IMSI",
    "accounts": "ACC",
    "documents": "DOC",
    "emails": "EMAIL",
    "id": "A",
    "names": "NAME",
    "addresses": "ADDR",
}
#: A value that is an identifier of several kinds is tokenised as the first of them here (an
#: actor whose id is its phone number is ``PH-``).
_KIND_ORDER = tuple(_PREFIX)
#: Evidence fields that hold identifiers (alone, in lists or in lists of lists: paths), with
#: the kind a value the case does not know is tokenised as. Declared by the stages that write
#: them: ``gnn.evidence.pair_evidence`` (predicted links) and
#: ``graphkit.signals.handoffs._evidence`` (hand-offs).
EVIDENCE_IDENTIFIERS: Mapping[str, str] = {
    "shared_contacts": "id",
    "shared_via_handoff": "id",
    "paths": "id",
    "shared_imei": "imeis",
}
# Shapes of identifiers that free text may hold: E.164 numbers, IBANs, 9-16 digit numbers
# (IMEI, IMSI, document numbers).
_SHAPES = (
    ("PH", re.compile(r"\+\d{7,15}")),
    ("ACC", re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b")),
    ("ID", re.compile(r"\b\d{9,16}\b")),
)
# Runs of letters and digits: an identifier stands in a text where it is not part of a
# longer run ("Ann Lee" in "Ann Lee." or "Ann Lee.json", not in "Ann Leeds").
_RUN = re.compile(r"[^\W_]+")
_JSON_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
#: Shorter values (codes like N12, a first name alone) are not looked for in free text or in
#: the written bytes: they are common words. Identifier columns are tokenised whatever their
#: length.
MIN_IDENTIFIER_CHARS = 5


def case_key(store: CaseStore) -> bytes:
    """The case's pseudonymisation key, created (mode 0600, whole or not at all) on first use.

    Concurrent first exports agree on one key: the first to link its file wins and the others
    read it.
    """
    path = store.path / KEY_FILE
    if not path.exists() and not path.is_symlink():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        create_once(path, secrets.token_bytes(_KEY_BYTES), mode=0o600)
    if path.is_symlink():
        raise CaseError(f"{path} is a symbolic link; refusing to use it as a key")
    key = path.read_bytes()
    if len(key) != _KEY_BYTES:
        raise CaseError(f"{path} is not a {_KEY_BYTES}-byte key")
    return key


def key_id(key: bytes) -> str:
    """A public fingerprint of the key (tells exports with one key apart from others)."""
    return hmac.new(key, b"graphkit pseudonym key id", hashlib.sha256).hexdigest()[:12]


def token(key: bytes, value: str, *, prefix: str) -> str:
    """``PREFIX-`` and 16 hex digits of HMAC-SHA256(key, value)."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:16]}"


# Identifier columns of the tables the build writes: (table, column expression, kind).
_BUILT_COLUMNS = (
    ("actor", "actor_id", "id"),
    ("actor", "unnest(phones)", "phones"),
    ("node_person", "person_id", "id"),
    ("node_person", "full_name", "names"),
    ("node_person", "unnest(names)", "names"),
    ("node_person", "unnest(aliases)", "names"),
    ("node_person", "unnest(addresses)", "addresses"),
    ("node_person", "unnest(id_numbers)", "documents"),
    ("node_phone", "msisdn", "phones"),
    ("node_device", "imei", "imeis"),
    ("node_account", "account_id", "accounts"),
    ("node_account", "holder_name", "names"),
)
# Source fields (graphkit.ingest.kinds) that identify someone: by field type, then by name.
_FIELD_TYPE_KINDS = {
    "phone": "phones",
    "phone_list": "phones",
    "account": "accounts",
    "account_list": "accounts",
    "imei": "imeis",
    "document": "documents",
}
_FIELD_NAME_KINDS = {
    "full_name": "names",
    "holder_name": "names",
    "aliases": "names",
    "address": "addresses",
    "postcode": "addresses",
    "id_number": "documents",
    "imsi": "imsis",
    "emails": "emails",
}
_RAW_FORM_TYPES = ("phone", "account", "document")  # fields stored with a ``<name>_raw`` column


def _source_columns(columns: set[tuple[str, str]]) -> dict[str, list[tuple[str, str, str | None]]]:
    """``src_<kind>`` table -> (value expression, kind, raw-form column or None)."""
    from graphkit.ingest.kinds import KINDS

    out: dict[str, list[tuple[str, str, str | None]]] = {}
    for spec in KINDS.values():
        rows: list[tuple[str, str, str | None]] = []
        for f in spec.fields:
            kind = _FIELD_TYPE_KINDS.get(f.type) or _FIELD_NAME_KINDS.get(f.name)
            if kind is None or (spec.table, f.name) not in columns:
                continue
            expr = f"unnest({f.name})" if f.type.endswith("list") else f.name
            raw = f"{f.name}_raw" if f.type in _RAW_FORM_TYPES else None
            rows.append((expr, kind, raw if (spec.table, str(raw)) in columns else None))
        if {(spec.table, "first_name"), (spec.table, "last_name")} <= columns:
            rows.append(("concat_ws(' ', first_name, last_name)", "names", None))
        if rows:
            out[spec.table] = rows
    return out


def case_identifiers(store: CaseStore) -> dict[str, tuple[str, str]]:
    """Every identifier the case holds: raw value -> (kind, the value its token is made of).

    Read from the built tables (actors, persons, phones, devices, accounts) and from every
    source field the ingest kinds declare identifying (phones, accounts, IMEIs, IMSIs, identity
    documents, names and aliases, first + last name, addresses, postcodes, emails), with the
    raw forms the source files wrote. A lone first or last name is not an identifier here (it
    is a common word); the full name is.
    """
    found: dict[str, tuple[str, str]] = {}

    def add(value: Any, kind: str, canonical: Any = None) -> None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return
        text = str(value).strip()
        if not text:
            return
        base = text if canonical is None or pd.isna(canonical) else str(canonical).strip()
        old = found.get(text)
        if old is None or _KIND_ORDER.index(kind) < _KIND_ORDER.index(old[0]):
            found[text] = (kind, base or text)

    with store.connect(read_only=True) as con:
        columns = {
            (str(t), str(c))
            for t, c in con.execute(
                "SELECT table_name, column_name FROM information_schema.columns"
            ).fetchall()
        }
        queries: list[tuple[str, str, str | None, str]] = [
            (expr, kind, None, table)
            for table, expr, kind in _BUILT_COLUMNS
            if (table, expr.removeprefix("unnest(").removesuffix(")")) in columns
        ]
        for table, rows in _source_columns(columns).items():
            queries += [(expr, kind, raw, table) for expr, kind, raw in rows]
        for expr, kind, raw, table in queries:
            # table and column names come from this module and the declared kinds only
            select = f"{expr}, {raw}" if raw else f"{expr}, NULL"
            for value, raw_value in con.execute(
                f"SELECT DISTINCT {select} FROM {table}"
            ).fetchall():
                add(value, kind)
                if raw_value is not None:
                    add(raw_value, kind, canonical=value)
    return found


def _subgraph_identifiers(sub: Subgraph) -> dict[str, tuple[str, str]]:
    """The identifiers of the selection itself, by the column that holds them."""
    found: dict[str, tuple[str, str]] = {}

    def add(value: Any, kind: str) -> None:
        text = str(value)
        old = found.get(text)
        if old is None or _KIND_ORDER.index(kind) < _KIND_ORDER.index(old[0]):
            found[text] = (kind, text)

    nodes, edges = sub.nodes, sub.edges
    for col in NODE_LIST_COLUMNS:
        for values in nodes[col]:
            for v in values:
                add(v, col)
    ids = [*nodes["id"], *edges["src"], *edges["dst"]]
    if "superior" in nodes.columns:
        ids += [v for v in nodes["superior"] if not _missing(v)]
    for v in ids:
        add(v, "id")
    return found


def raw_identifiers(sub: Subgraph) -> set[str]:
    """Every identifier of the selection (labels too) that an export of it must not contain."""
    found = set(_subgraph_identifiers(sub)) | {str(v) for v in sub.nodes["label"]}
    return {v for v in found if v and v.strip()}


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pd.NA (pandas 3 stores a missing string as NaN)."""
    if value is None:
        return True
    if isinstance(value, str | list | dict | tuple):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


class Pseudonymiser:
    """Replaces identifiers by keyed tokens: by value (:meth:`of`), in free text
    (:meth:`scrub`), in JSON-like structures (:meth:`walk`) and in a whole subgraph
    (:meth:`subgraph`).

    ``identifiers`` maps each raw identifier to (kind, the value its token is made of), as
    :func:`case_identifiers` returns it.
    """

    def __init__(self, key: bytes, identifiers: Mapping[str, tuple[str, str]]) -> None:
        self.key = key
        self.tokens = {
            raw: token(key, base, prefix=_PREFIX[kind]) for raw, (kind, base) in identifiers.items()
        }
        # free text: known values of a useful length, indexed by their first run of letters
        # and digits (with where that run starts in the value: "+44…" starts one before)
        self._phrases: dict[str, list[tuple[str, int]]] = {}
        for value in self.tokens:
            first = _RUN.search(value)
            if len(value) >= MIN_IDENTIFIER_CHARS and first:
                self._phrases.setdefault(first.group(), []).append((value, first.start()))
        for values in self._phrases.values():
            values.sort(key=lambda v: len(v[0]), reverse=True)
        self._scrubbed: dict[str, str] = {}  # layers, roles and labels repeat

    def of(self, value: Any, kind: str = "id") -> str:
        """The token of one identifier (of ``kind`` when the case does not know it)."""
        text = str(value)
        return self.tokens.get(text) or token(self.key, text, prefix=_PREFIX[kind])

    def scrub(self, text: str) -> str:
        """``text`` with every known identifier standing in it (not as part of a longer run
        of letters and digits), and every identifier-shaped string, replaced by its token."""
        done = self._scrubbed.get(text)
        if done is None:
            done = self._scrubbed[text] = self._scrub(text)
        return done

    def _scrub(self, text: str) -> str:
        pieces: list[str] = []
        pos = 0
        for match in _RUN.finditer(text):
            for value, offset in self._phrases.get(match.group(), ()):
                start = match.start() - offset
                end = start + len(value)
                if (
                    start >= pos
                    and text.startswith(value, start)
                    and _stands_alone(text, start, end)
                ):
                    pieces += [self._shapes(text[pos:start]), self.tokens[value]]
                    pos = end
                    break
        pieces.append(self._shapes(text[pos:]))
        return "".join(pieces)

    def _shapes(self, text: str) -> str:
        for prefix, shape in _SHAPES:
            text = shape.sub(self._replacer(prefix), text)
        return text

    def _replacer(self, prefix: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            found = match.group(0)
            return self.tokens.get(found) or token(self.key, found, prefix=prefix)

        return replace

    def walk(self, value: Any, kind: str | None = None) -> Any:
        """A JSON-like value with its identifiers replaced: strings that are identifiers (or
        sit in a field that holds identifiers of ``kind``) by their token, other strings
        scrubbed as free text; numbers, booleans and nulls as they are."""
        if isinstance(value, str):
            if value in self.tokens:
                return self.tokens[value]
            return self.of(value, kind) if kind is not None else self.scrub(value)
        if isinstance(value, list | tuple):
            return [self.walk(v, kind) for v in value]
        if isinstance(value, dict):
            return {
                self.walk(str(k)): self.walk(v, EVIDENCE_IDENTIFIERS.get(str(k)))
                for k, v in value.items()
            }
        return value

    def evidence(self, value: Any) -> str | None:
        """Evidence (JSON text, or free text where it is not JSON) with its identifiers
        replaced; None for missing evidence."""
        if _missing(value):
            return None
        text = str(value)
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            return self.scrub(text)
        return json.dumps(self.walk(parsed), sort_keys=True, ensure_ascii=False)

    def subgraph(self, sub: Subgraph) -> Subgraph:
        """A copy of ``sub`` with every identifier replaced by its token.

        Ids become ``PH-…`` (a phone number that is an actor's id) or ``A-…`` (labels are the
        id's token), names ``NAME-…``, IMEIs ``IMEI-…``, IMSIs ``IMSI-…``, accounts ``ACC-…``;
        evidence is walked (:meth:`walk`), other text columns (community labels, layers,
        roles) scrubbed.
        """
        nodes, edges = sub.nodes.copy(), sub.edges.copy()
        nodes["id"] = [self.of(v) for v in nodes["id"]]
        nodes["label"] = nodes["id"]
        for col in NODE_LIST_COLUMNS:
            nodes[col] = [sorted(self.of(v, col) for v in values) for values in nodes[col]]
        if "superior" in nodes.columns:
            nodes["superior"] = [None if _missing(v) else self.of(v) for v in nodes["superior"]]
        edges["src"] = [self.of(v) for v in edges["src"]]
        edges["dst"] = [self.of(v) for v in edges["dst"]]
        edges["evidence"] = pd.Series(
            [self.evidence(v) for v in edges["evidence"]], index=edges.index, dtype=object
        )
        done = {"id", "label", "superior", "kind", *NODE_LIST_COLUMNS}  # kind: person/phone
        for frame, skip in ((nodes, done), (edges, {"src", "dst", "evidence"})):
            for col in frame.columns:
                text = frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col])
                if col not in skip and text:
                    frame[col] = [self.scrub(v) if isinstance(v, str) else v for v in frame[col]]
        # source record ids are provenance, not for a pseudonymised recipient
        return replace(sub, nodes=nodes, edges=edges, records=pd.DataFrame())


def pseudonymise(
    sub: Subgraph, *, key: bytes, identifiers: Mapping[str, tuple[str, str]] | None = None
) -> Subgraph:
    """A copy of ``sub`` with every identifier replaced by its keyed token.

    ``identifiers`` (from :func:`case_identifiers`) adds what the case knows beyond the
    selection; evidence names actors outside it.
    """
    return Pseudonymiser(key, {**_subgraph_identifiers(sub), **(identifiers or {})}).subgraph(sub)


def _unescaped(text: str) -> list[str]:
    """``text`` and its readings with JSON ``\\uXXXX`` escapes and XML/HTML character
    references resolved (Cypher and JSON escape non-ASCII names; XML escapes ``&``)."""
    out = [text]
    if "\\u" in text:
        out.append(_JSON_ESCAPES.sub(lambda m: json.loads(f'"{m.group(0)}"'), text))
    if "&" in text:
        out.append(html.unescape(text))
    return out


@lru_cache(maxsize=1 << 17)
def _runs(value: str) -> tuple[str, ...]:
    return tuple(_RUN.findall(value))


def _stands_alone(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is not part of a longer run of letters and digits."""
    return not (start > 0 and text[start - 1].isalnum()) and not (
        end < len(text) and text[end].isalnum()
    )


def _occurs(text: str, value: str) -> bool:
    at = text.find(value)
    while at >= 0:
        if _stands_alone(text, at, at + len(value)):
            return True
        at = text.find(value, at + 1)
    return False


def leaked_identifiers(data: bytes, identifiers: Iterable[str]) -> list[str]:
    """Identifiers that stand in ``data`` (not as part of a longer run of letters and
    digits), and any E.164-shaped number.

    Reads UTF-8, or UTF-16 when the data starts with its byte-order mark (ANX); also reads the
    text with JSON escapes and XML character references resolved. Close to linear in the size
    of the data: the runs of letters and digits of the text are collected once, and an
    identifier is looked for only when all its runs are among them.
    """
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    texts = [data.decode("utf-16" if utf16 else "utf-8", errors="ignore")]
    wanted = [(v, _runs(v)) for v in identifiers]
    leaks: set[str] = set()
    for text in (t for raw in texts for t in _unescaped(raw)):
        runs = set(_RUN.findall(text))
        leaks.update(
            v for v, parts in wanted if parts and all(p in runs for p in parts) and _occurs(text, v)
        )
        leaks.update(_SHAPES[0][1].findall(text))
    return sorted(leaks)
