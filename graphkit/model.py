"""The one declared model of the knowledge graph (see ARCHITECTURE.md).

Labels, relationship types, keys and properties are declared here once. Everything else is
generated from this module: the DuckDB tables of the case store, Neo4j constraints and write
statements, exports and the schema documentation. Labels and relationship types that reach a
query are always taken from here, never from input strings.

Conventions: labels PascalCase, relationship types UPPER_SNAKE, properties snake_case.
Relationship tables have the columns ``src`` and ``dst`` (the keys of their end nodes) followed
by their properties. ``Actor`` as an end means a Person, or a Phone attributed to no person; its
key is ``actor_id`` (``person_id`` or ``msisdn``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "ACTOR",
    "NODES",
    "RELATIONSHIPS",
    "NodeType",
    "Property",
    "RelType",
    "node",
    "relationship",
    "schema_markdown",
]

ACTOR = "Actor"
_DUCKDB_TYPES = {
    "VARCHAR",
    "BIGINT",
    "DOUBLE",
    "BOOLEAN",
    "DATE",
    "TIMESTAMPTZ",
    "VARCHAR[]",
    "DOUBLE[]",
    "JSON",
}
_LABEL_RE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_TYPE_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_PROP_RE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Property:
    """A typed property. ``dtype`` is a DuckDB type name; ``doc`` says what it holds."""

    name: str
    dtype: str
    doc: str = ""
    required: bool = False

    def __post_init__(self) -> None:
        if not _PROP_RE.match(self.name):
            raise ValueError(f"property name {self.name!r} is not snake_case")
        if self.dtype not in _DUCKDB_TYPES:
            raise ValueError(f"property {self.name!r}: unknown type {self.dtype!r}")


@dataclass(frozen=True)
class NodeType:
    """A node label with its key property and other properties."""

    label: str
    key: str
    properties: tuple[Property, ...]
    doc: str = ""

    def __post_init__(self) -> None:
        if not _LABEL_RE.match(self.label):
            raise ValueError(f"label {self.label!r} is not PascalCase")
        if self.properties[0].name != self.key:
            raise ValueError(f"{self.label}: the key {self.key!r} must be the first property")

    @property
    def table(self) -> str:
        """Name of the DuckDB table holding these nodes."""
        return "node_" + _snake(self.label)

    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)


@dataclass(frozen=True)
class RelType:
    """A relationship type between two labels (``Actor`` for either Person or Phone)."""

    type: str
    start: str
    end: str
    properties: tuple[Property, ...] = field(default_factory=tuple)
    doc: str = ""
    hypothesis: bool = False

    def __post_init__(self) -> None:
        if not _TYPE_RE.match(self.type):
            raise ValueError(f"relationship type {self.type!r} is not UPPER_SNAKE")

    @property
    def table(self) -> str:
        """Name of the DuckDB table holding these relationships."""
        return "rel_" + self.type.lower()

    def property_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.properties)


def _snake(label: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", label).lower()


def _p(name: str, dtype: str, doc: str = "", required: bool = False) -> Property:
    return Property(name, dtype, doc, required)


_PROVENANCE = _p("source_records", "VARCHAR[]", "record ids (source:row) this item comes from")
_HYPOTHESIS = (
    _p("score", "DOUBLE", "model score in [0, 1]", required=True),
    _p("threshold", "DOUBLE", "threshold the score was judged against"),
    _p("model_version", "VARCHAR", "model or method that produced it", required=True),
    _p("evidence", "JSON", "why it is suggested, human-checkable", required=True),
    _p("status", "VARCHAR", "hypothesis | confirmed | rejected", required=True),
    _p("decided_by", "VARCHAR", "who confirmed or rejected it"),
    _p("decided_at", "TIMESTAMPTZ", "when it was confirmed or rejected"),
)

NODES: tuple[NodeType, ...] = (
    NodeType(
        "Person",
        "person_id",
        (
            _p("person_id", "VARCHAR", "stable minted id", required=True),
            _p("full_name", "VARCHAR", "best name of the golden record"),
            _p("names", "VARCHAR[]", "all names seen"),
            _p("aliases", "VARCHAR[]", "aliases seen"),
            _p("dob", "VARCHAR", "date of birth, ISO, possibly partial (YYYY or YYYY-MM)"),
            _p("addresses", "VARCHAR[]", "addresses seen"),
            _p("id_numbers", "VARCHAR[]", "identity document numbers seen"),
            _p("record_count", "BIGINT", "number of records resolved into this person"),
        ),
        "A resolved person: golden record over the records that refer to one individual.",
    ),
    NodeType(
        "Phone",
        "msisdn",
        (
            _p("msisdn", "VARCHAR", "E.164 where parseable, the raw identifier otherwise", True),
            _p("valid_number", "BOOLEAN", "whether msisdn is a valid E.164 number"),
            _p("first_seen", "TIMESTAMPTZ", "first event"),
            _p("last_seen", "TIMESTAMPTZ", "last event"),
            _p("events", "BIGINT", "events (calls and sms, both directions)"),
            _p("hour_of_week", "DOUBLE[]", "168 event counts, Monday 00h first, UTC"),
        ),
        "A phone number (MSISDN) or other raw subscriber identifier.",
    ),
    NodeType(
        "Device",
        "imei",
        (
            _p("imei", "VARCHAR", "IMEI as recorded (digits)", True),
            _p("valid_imei", "BOOLEAN", "15 digits with a correct Luhn check digit"),
        ),
        "A handset.",
    ),
    NodeType(
        "Account",
        "account_id",
        (
            _p("account_id", "VARCHAR", "IBAN in compact form where valid, raw otherwise", True),
            _p("valid_iban", "BOOLEAN", "whether account_id is a valid IBAN"),
            _p("bank", "VARCHAR", "bank as recorded"),
            _p("holder_name", "VARCHAR", "holder name as recorded"),
        ),
        "A bank account.",
    ),
    NodeType(
        "Cell",
        "cell_id",
        (
            _p("cell_id", "VARCHAR", "cell identifier as recorded", True),
            _p("lat", "DOUBLE", "latitude, WGS84"),
            _p("lon", "DOUBLE", "longitude, WGS84"),
            _p("azimuth", "DOUBLE", "antenna azimuth in degrees"),
        ),
        "A cell (tower sector).",
    ),
    NodeType(
        "Record",
        "record_id",
        (
            _p("record_id", "VARCHAR", "source name + ':' + the record's id in its source", True),
            _p("source", "VARCHAR", "source name"),
            _p("kind", "VARCHAR", "source kind"),
            _p("source_sha256", "VARCHAR", "SHA-256 of the source file"),
            _p("row_number", "BIGINT", "1-based data row in the source file"),
        ),
        "A source record: provenance of everything derived from it.",
    ),
    NodeType(
        "Community",
        "community_id",
        (
            _p("community_id", "VARCHAR", "community id", True),
            _p("level", "BIGINT", "level in a hierarchy of communities (0 = finest)"),
            _p("size", "BIGINT", "number of members"),
            _p("density", "DOUBLE", "edge density among members"),
        ),
        "A community of actors found by community detection.",
    ),
)

_TIME_SPAN = (
    _p("first", "TIMESTAMPTZ", "first observation"),
    _p("last", "TIMESTAMPTZ", "last observation"),
)

RELATIONSHIPS: tuple[RelType, ...] = (
    RelType("USES", "Person", "Phone", (*_TIME_SPAN, _PROVENANCE), "A person uses a phone."),
    RelType("HOLDS", "Person", "Account", (_PROVENANCE,), "A person holds an account."),
    RelType(
        "CALLED",
        "Phone",
        "Phone",
        (
            _p("calls", "BIGINT", "voice calls"),
            _p("sms", "BIGINT", "text messages"),
            _p("seconds", "BIGINT", "total call duration in seconds"),
            *_TIME_SPAN,
        ),
        "Communications aggregated per direction.",
    ),
    RelType(
        "TRANSFERRED",
        "Account",
        "Account",
        (
            _p("count", "BIGINT", "number of transfers"),
            _p("amount", "DOUBLE", "total amount"),
            _p("currency", "VARCHAR", "currency (one row per currency)"),
            *_TIME_SPAN,
        ),
        "Money transfers aggregated per direction and currency.",
    ),
    RelType("USED_DEVICE", "Phone", "Device", _TIME_SPAN, "A SIM seen in a handset."),
    RelType(
        "CONNECTED_VIA",
        "Phone",
        "Cell",
        (_p("events", "BIGINT", "events through this cell"), *_TIME_SPAN),
        "A phone seen on a cell.",
    ),
    RelType(
        "CONTACT",
        ACTOR,
        ACTOR,
        (
            _p("weight", "DOUBLE", "strength of the tie"),
            _p("kind", "VARCHAR", "e.g. meeting, wiretap, kinship"),
            *_TIME_SPAN,
            _PROVENANCE,
        ),
        "A pre-aggregated tie from a contacts source.",
    ),
    RelType(
        "RESOLVED_FROM",
        "Person",
        "Record",
        (_p("match_probability", "DOUBLE", "probability the record belongs to the person"),),
        "Provenance of a resolved person.",
    ),
    RelType(
        "MEMBER_OF",
        ACTOR,
        "Community",
        (_p("confidence", "DOUBLE", "share of consensus runs agreeing"),),
        "Community membership.",
    ),
    RelType(
        "SAME_USER_AS",
        "Phone",
        "Phone",
        _HYPOTHESIS,
        "Hypothesis: two numbers are used by one person (e.g. a burner hand-off).",
        hypothesis=True,
    ),
    RelType(
        "PREDICTED_LINK",
        ACTOR,
        ACTOR,
        _HYPOTHESIS,
        "Hypothesis: a tie likely exists but was not observed.",
        hypothesis=True,
    ),
    RelType(
        "CO_LOCATED_WITH",
        "Phone",
        "Phone",
        _HYPOTHESIS,
        "Hypothesis: two phones were on the same or nearby cells at the same time, on more "
        "occasions than their usual cells explain (a meeting); src < dst.",
        hypothesis=True,
    ),
    RelType(
        "MOVED_TO_HANDSET",
        "Phone",
        "Device",
        _HYPOTHESIS,
        "Hypothesis: a SIM moved into another handset (same number, new IMEI).",
        hypothesis=True,
    ),
    RelType(
        "TOOK_SIM",
        "Device",
        "Phone",
        _HYPOTHESIS,
        "Hypothesis: a handset took another SIM (same IMEI, new number).",
        hypothesis=True,
    ),
    RelType(
        "CLONED_SIM",
        "Phone",
        "Phone",
        _HYPOTHESIS,
        "Hypothesis: one number used in two places or two handsets at once (impossible "
        "travel, handset returns: a cloned SIM or a shared identity); from the number to itself.",
        hypothesis=True,
    ),
)


def node(label: str) -> NodeType:
    """The declared node type for ``label``; raises KeyError for an undeclared label."""
    for n in NODES:
        if n.label == label:
            return n
    raise KeyError(f"undeclared label {label!r}")


def relationship(rel_type: str) -> RelType:
    """The declared relationship type ``rel_type``; raises KeyError when undeclared."""
    for r in RELATIONSHIPS:
        if r.type == rel_type:
            return r
    raise KeyError(f"undeclared relationship type {rel_type!r}")


def node_ddl(n: NodeType) -> str:
    """CREATE TABLE statement for a node table (identifiers come from this module only)."""
    cols = ",\n  ".join(f"{p.name} {p.dtype}" for p in n.properties)
    return f"CREATE TABLE IF NOT EXISTS {n.table} (\n  {cols},\n  PRIMARY KEY ({n.key})\n)"


def relationship_ddl(r: RelType) -> str:
    """CREATE TABLE statement for a relationship table: ``src``, ``dst``, then properties."""
    cols = ["src VARCHAR NOT NULL", "dst VARCHAR NOT NULL"]
    cols += [f"{p.name} {p.dtype}" for p in r.properties]
    body = ",\n  ".join(cols)
    return f"CREATE TABLE IF NOT EXISTS {r.table} (\n  {body}\n)"


def schema_markdown() -> str:
    """The schema as Markdown tables, for documentation and reports."""
    lines = ["| node | key | properties |", "|---|---|---|"]
    for n in NODES:
        props = ", ".join(p.name for p in n.properties[1:])
        lines.append(f"| {n.label} | {n.key} | {props} |")
    lines += ["", "| relationship | between | properties |", "|---|---|---|"]
    for r in RELATIONSHIPS:
        props = ", ".join(r.property_names())
        lines.append(f"| {r.type} | {r.start} -> {r.end} | {props} |")
    return "\n".join(lines)
