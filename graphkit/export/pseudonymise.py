"""Pseudonymised exports: identifiers replaced by keyed tokens that stay stable in a case.

A token is ``PREFIX-`` followed by the first 16 hex digits of HMAC-SHA256(key, value) (RFC 2104),
so one value gives one token in every export of the case (analysts can join two exports) and
nobody without the key can test a guess ("is +44 7700 900123 in this file?"), which a plain
hash would allow. The prefix says what kind of identifier it was; the digits depend on the
value only, so an actor's id and its phone number keep matching digits.

The key (32 random bytes) is created on first use in ``CASE_DIR/keys/pseudonym.key`` with
mode 0600: it stays with the case and never goes into an export. The manifest of an export
carries ``key_id``, an HMAC of a constant, so two exports can be told to share a key without
revealing it.

Free text is not trusted: evidence strings have every known identifier of the selection and
anything shaped like a phone number, IMEI/IMSI or IBAN replaced, and the written bytes are
scanned again before they reach the disk (:func:`leaked_identifiers`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphkit.errors import CaseError
from graphkit.export.select import NODE_LIST_COLUMNS, Subgraph

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = [
    "KEY_FILE",
    "case_key",
    "key_id",
    "leaked_identifiers",
    "pseudonymise",
    "raw_identifiers",
    "token",
    "token_map",
]

KEY_FILE = Path("keys") / "pseudonym.key"
_KEY_BYTES = 32
_PREFIX = {
    "id": "A",
    "names": "NAME",
    "phones": "PH",
    "imeis": "IMEI",
    "imsis": "IMSI",
    "accounts": "ACC",
}
# Shapes of identifiers that free text may hold: E.164 numbers, 14-16 digit IMEI/IMSI, IBANs.
_SHAPES = (
    ("PH", re.compile(r"\+\d{7,15}")),
    ("ACC", re.compile(r"\b[A-Z]{2}\d{2}[A-Z0-9]{10,30}\b")),
    ("ID", re.compile(r"\b\d{9,16}\b")),
)


_WORD = re.compile(r"[^\s\"'<>=&;,:{}\[\]()|/\\]+")


def case_key(store: CaseStore) -> bytes:
    """The case's pseudonymisation key, created (mode 0600) on first use."""
    path = store.path / KEY_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # created by a concurrent export: read it below
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(_KEY_BYTES))
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


def raw_identifiers(sub: Subgraph) -> set[str]:
    """Every identifier of the selection that a pseudonymised export must not contain."""
    found: set[str] = set()
    nodes = sub.nodes
    found.update(str(v) for v in nodes["id"])
    found.update(str(v) for v in nodes["label"])
    for col in NODE_LIST_COLUMNS:
        for values in nodes[col]:
            found.update(str(v) for v in values)
    if "superior" in nodes.columns:
        found.update(str(v) for v in nodes["superior"].dropna())
    found.update(str(v) for v in sub.edges["src"])
    found.update(str(v) for v in sub.edges["dst"])
    return {v for v in found if v and v.strip()}


class _Tokens:
    def __init__(self, key: bytes, known: dict[str, str]) -> None:
        self.key = key
        self.known = known
        ordered = sorted(known, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(v) for v in ordered)) if ordered else None

    def of(self, value: str, prefix: str) -> str:
        return self.known.get(value) or token(self.key, value, prefix=prefix)

    def scrub(self, text: str) -> str:
        if self.pattern is not None:
            text = self.pattern.sub(lambda m: self.known[m.group(0)], text)
        for prefix, shape in _SHAPES:
            text = shape.sub(self._replacer(prefix), text)
        return text

    def _replacer(self, prefix: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            return token(self.key, match.group(0), prefix=prefix)

        return replace

    def walk(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, list):
            return [self.walk(v) for v in value]
        if isinstance(value, dict):
            return {self.scrub(str(k)): self.walk(v) for k, v in value.items()}
        return value


def token_map(sub: Subgraph, *, key: bytes) -> dict[str, str]:
    """Raw identifier -> token for every identifier of ``sub`` (what :func:`pseudonymise`
    writes; also used for the selection in the export manifest)."""
    nodes, edges = sub.nodes, sub.edges
    known: dict[str, str] = {}
    for col in NODE_LIST_COLUMNS:
        for values in nodes[col]:
            for v in values:
                known.setdefault(str(v), token(key, str(v), prefix=_PREFIX[col]))
    actor_ids = set(nodes["id"].astype(str)) | set(edges["src"].astype(str))
    actor_ids |= set(edges["dst"].astype(str))
    if "superior" in nodes.columns:
        actor_ids |= {str(v) for v in nodes["superior"].dropna()}
    for v in actor_ids:
        known.setdefault(v, token(key, v, prefix=_PREFIX["id"]))
    return known


def pseudonymise(sub: Subgraph, *, key: bytes) -> Subgraph:
    """A copy of ``sub`` with every identifier replaced by its keyed token.

    Phones become ``PH-…`` (a phone number that is an actor's id too), other actor ids
    ``A-…`` (labels too), names ``NAME-…``, IMEIs ``IMEI-…``, IMSIs ``IMSI-…``, accounts
    ``ACC-…``; hypothesis evidence is scrubbed.
    """
    nodes, edges = sub.nodes.copy(), sub.edges.copy()
    known = token_map(sub, key=key)
    tokens = _Tokens(key, known)
    nodes["id"] = [known[str(v)] for v in nodes["id"]]
    nodes["label"] = nodes["id"]
    for col in NODE_LIST_COLUMNS:
        nodes[col] = [sorted(known[str(v)] for v in values) for values in nodes[col]]
    if "superior" in nodes.columns:
        nodes["superior"] = [
            None if v is None or v != v else known[str(v)] for v in nodes["superior"]
        ]
    edges["src"] = [known[str(v)] for v in edges["src"]]
    edges["dst"] = [known[str(v)] for v in edges["dst"]]
    edges["evidence"] = [
        None if v is None else json.dumps(tokens.walk(json.loads(v)), sort_keys=True)
        for v in edges["evidence"]
    ]
    return replace(sub, nodes=nodes, edges=edges)


def leaked_identifiers(data: bytes, identifiers: Iterable[str]) -> list[str]:
    """Identifiers that stand as words in ``data``, and any E.164-shaped number.

    Reads UTF-8, and UTF-16 when the data starts with its byte-order mark (ANX); folds the
    JSON and XML escapes of '+'. Linear in the size of the data: the words of the text are
    collected once, and an identifier is looked for only when all its words are among them.
    """
    texts = [data.decode("utf-8", errors="ignore")]
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        texts.append(data.decode("utf-16", errors="ignore"))
    wanted = [(v, _WORD.findall(v)) for v in identifiers]
    leaks: set[str] = set()
    for text in texts:
        folded = text.replace("\\u002b", "+").replace("&#43;", "+")
        words = set(_WORD.findall(folded))
        leaks.update(
            v for v, parts in wanted if parts and all(p in words for p in parts) and v in folded
        )
        leaks.update(_SHAPES[0][1].findall(folded))
    return sorted(leaks)
