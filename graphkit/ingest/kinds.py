"""Source kinds: the canonical fields of each kind, their types and the column names recognised.

A *kind* says what a source file holds (call data records, subscriber KYC, ...). Its canonical
fields are what the rest of graphkit reads; a mapping (graphkit.ingest.mapping) says which source
column feeds each field. Each kind lands in one staging table ``src_<kind>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DOCUMENT_FIELDS",
    "ENCODED_TYPES",
    "KINDS",
    "PROVENANCE_COLUMNS",
    "FieldSpec",
    "KindSpec",
    "get_kind",
    "normalise_column_name",
    "staging_ddl",
]

# Field types and what they become in the staging table.
#   phone        E.164 where valid, verbatim otherwise; plus <f>_raw, <f>_valid
#   account      IBAN (compact) where valid, verbatim otherwise; plus <f>_raw, <f>_valid
#   imei         digits; plus <f>_valid (15 digits, Luhn)
#   text         trimmed VARCHAR, empty -> NULL
#   timestamp    TIMESTAMPTZ (UTC)
#   duration     BIGINT seconds, >= 0
#   number       DOUBLE
#   partial_date VARCHAR ISO date, possibly partial (YYYY, YYYY-MM); plus <f>_raw
#   event_type   lower-cased text with synonyms folded (call, sms, data)
#   sex          'M', 'F' or 'X' from the usual codes (M/F, male/female, 1/2, ...); plus <f>_raw
#   country      ISO 3166-1 alpha-2 code from a code, name or demonym (pycountry); plus <f>_raw
#   document     identity document number: upper-case letters and digits; plus <f>_raw
#   list         VARCHAR[] split on the list separator
#   phone_list   VARCHAR[] of normalised phones
#   account_list VARCHAR[] of normalised accounts
FIELD_TYPES = (
    "phone",
    "account",
    "imei",
    "text",
    "timestamp",
    "duration",
    "number",
    "partial_date",
    "event_type",
    "sex",
    "country",
    "document",
    "list",
    "phone_list",
    "account_list",
)

# identifier types stored as dictionary references by encoded kinds (graphkit.ingest.storage)
ENCODED_TYPES = ("phone", "account", "imei")

PROVENANCE_COLUMNS = (
    ("source_name", "VARCHAR"),
    ("row_number", "BIGINT"),
    ("record_id", "VARCHAR"),
    ("is_duplicate", "BOOLEAN"),
)


@dataclass(frozen=True)
class FieldSpec:
    """A canonical field: its type, whether a row needs it, and column names that mean it."""

    name: str
    type: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    doc: str = ""

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name}: unknown type {self.type!r}")

    def staging_columns(self) -> tuple[tuple[str, str], ...]:
        """(column, DuckDB type) pairs this field produces in the staging table."""
        n = self.name
        match self.type:
            case "phone" | "account":
                return ((n, "VARCHAR"), (f"{n}_raw", "VARCHAR"), (f"{n}_valid", "BOOLEAN"))
            case "imei":
                return ((n, "VARCHAR"), (f"{n}_valid", "BOOLEAN"))
            case "timestamp":
                return ((n, "TIMESTAMPTZ"),)
            case "duration":
                return ((n, "BIGINT"),)
            case "number":
                return ((n, "DOUBLE"),)
            case "partial_date" | "sex" | "country" | "document":
                return ((n, "VARCHAR"), (f"{n}_raw", "VARCHAR"))
            case "list" | "phone_list" | "account_list":
                return ((n, "VARCHAR[]"),)
            case _:
                return ((n, "VARCHAR"),)

    def storage_columns(self, *, encoded: bool) -> tuple[tuple[str, str], ...]:
        """The columns this field is written to: ``<name>_ref`` for an encoded identifier."""
        if encoded and self.type in ENCODED_TYPES:
            return ((f"{self.name}_ref", "UBIGINT"),)
        return self.staging_columns()


@dataclass(frozen=True)
class KindSpec:
    """A source kind. ``needs_one_of`` lists groups of which at least one field must be set.

    ``encoded`` kinds (the high-volume event kinds) store their identifier fields as references
    into the case's identifier dictionary (graphkit.ingest.storage); their ``src_<kind>`` is a
    view with the same columns and values as the table of a plain kind.
    """

    name: str
    fields: tuple[FieldSpec, ...]
    doc: str
    needs_one_of: tuple[tuple[str, ...], ...] = ()
    encoded: bool = False
    #: the reject reason of each ``needs_one_of`` group (default ``missing_identity``)
    one_of_errors: tuple[str, ...] = ()

    def one_of_error(self, index: int) -> str:
        """The error type of a row that has none of ``needs_one_of[index]``."""
        return self.one_of_errors[index] if index < len(self.one_of_errors) else "missing_identity"

    @property
    def table(self) -> str:
        """What every stage reads: ``src_<kind>`` (a table, or a view for encoded kinds)."""
        return f"src_{self.name}"

    @property
    def storage_table(self) -> str:
        """The table the rows are written to: ``src_<kind>``, or ``ingest_<kind>`` if encoded."""
        return f"ingest_{self.name}" if self.encoded else self.table

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field_columns(self) -> list[tuple[str, str]]:
        """(column, DuckDB type) of the staging table after the provenance columns."""
        cols: list[tuple[str, str]] = []
        for f in self.fields:
            if f.name != "record_id":  # record_id is a provenance column
                cols.extend(f.staging_columns())
        return cols

    def storage_field_columns(self) -> list[tuple[str, str]]:
        """(column, DuckDB type) of the storage table after the provenance columns."""
        cols: list[tuple[str, str]] = []
        for f in self.fields:
            if f.name != "record_id":
                cols.extend(f.storage_columns(encoded=self.encoded))
        return cols


def _f(name: str, type_: str, *aliases: str, required: bool = False, doc: str = "") -> FieldSpec:
    return FieldSpec(name, type_, required, (name, *aliases), doc)


_RECORD_ID = _f("record_id", "text", "id", "row_id", "rec_id", "record", doc="your own row id")
_NAMES = (
    _f("first_name", "text", "given_name", "forename", "firstname", "given_names", "first"),
    _f("last_name", "text", "surname", "family_name", "lastname", "last"),
    _f("full_name", "text", "name", "fullname", "person_name", "subscriber_name"),
)
_DOB = _f("dob", "partial_date", "date_of_birth", "birth_date", "birthdate", "born")
_ADDRESS = _f("address", "text", "street_address", "address_line", "addr")
_POSTCODE = _f("postcode", "text", "post_code", "zip", "zipcode", "postal_code")
_ID_NUMBER = _f("id_number", "text", "id_no", "document_number", "soc_sec_id")
_SEX = _f("sex", "sex", "gender", "sex_code", "gender_code", doc="M, F or X")
_BIRTH_PLACE = _f(
    "birth_place",
    "text",
    "place_of_birth",
    "birthplace",
    "pob",
    "born_in",
    "city_of_birth",
    "town_of_birth",
)
_BIRTH_COUNTRY = _f(
    "birth_country", "country", "country_of_birth", "cob", "birth_nation", "born_country"
)
_NATIONALITY = _f("nationality", "country", "citizenship", "nationality_code", "citizen_of")
_OCCUPATION = _f("occupation", "text", "job", "job_title", "profession", "employment")
#: typed identity documents, each with its issuing country
_DOCUMENTS = (
    _f("passport_number", "document", "passport", "passport_no", "passport_num", "passport_id"),
    _f(
        "passport_country",
        "country",
        "passport_issuing_country",
        "passport_issuer",
        "passport_issued_by",
    ),
    _f(
        "national_id",
        "document",
        "national_id_number",
        "national_id_no",
        "id_card",
        "id_card_number",
        "id_card_no",
        "identity_card",
        "identity_card_number",
    ),
    _f("national_id_country", "country", "id_card_country", "national_id_issuer"),
    _f(
        "driving_licence",
        "document",
        "driving_licence_number",
        "driving_licence_no",
        "driving_license",
        "driving_license_number",
        "drivers_license",
        "driver_license",
        "drivers_licence",
        "licence_number",
        "license_number",
        "dl_number",
    ),
    _f(
        "driving_licence_country",
        "country",
        "driving_license_country",
        "licence_country",
        "license_country",
    ),
)
#: person fields beyond names and dob that person-bearing kinds share
_PERSON_DETAILS = (_SEX, _BIRTH_PLACE, _BIRTH_COUNTRY, _NATIONALITY)
#: fields that identify a person on their own (a record needs one of them, or a name)
DOCUMENT_FIELDS = ("passport_number", "national_id", "driving_licence")

KINDS: dict[str, KindSpec] = {
    k.name: k
    for k in (
        KindSpec(
            "cdr",
            (
                _f(
                    "caller",
                    "phone",
                    "a_party",
                    "a_number",
                    "anum",
                    "calling_number",
                    "calling_party",
                    "from",
                    "from_number",
                    "msisdn_a",
                    "originating_number",
                    "source_number",
                    "msisdn",
                    required=True,
                ),
                _f(
                    "callee",
                    "phone",
                    "b_party",
                    "b_number",
                    "bnum",
                    "called_number",
                    "called_party",
                    "to",
                    "to_number",
                    "msisdn_b",
                    "terminating_number",
                    "destination_number",
                    "dialled_number",
                    required=True,
                ),
                _f(
                    "start",
                    "timestamp",
                    "start_time",
                    "datetime",
                    "date_time",
                    "timestamp",
                    "call_start",
                    "event_time",
                    "call_date",
                    "start_datetime",
                    "time",
                    required=True,
                ),
                _f(
                    "duration_s",
                    "duration",
                    "duration",
                    "duration_sec",
                    "duration_seconds",
                    "call_duration",
                    "seconds",
                    "duration_secs",
                ),
                _f(
                    "event_type",
                    "event_type",
                    "type",
                    "call_type",
                    "record_type",
                    "service",
                    "event",
                ),
                _f(
                    "cell_id",
                    "text",
                    "cell",
                    "cgi",
                    "tower",
                    "cell_tower",
                    "site_id",
                    "cell_identity",
                ),
                _f("imei", "imei", "handset", "device_id"),
                _f("imsi", "text", "sim"),
                _RECORD_ID,
            ),
            "Call data records: one call, SMS or data event per row.",
            encoded=True,
        ),
        KindSpec(
            "subscribers",
            (
                _f(
                    "msisdn",
                    "phone",
                    "phone",
                    "phone_number",
                    "number",
                    "msisdn_number",
                    "telephone",
                    required=True,
                ),
                *_NAMES,
                _DOB,
                _ADDRESS,
                _POSTCODE,
                _ID_NUMBER,
                *_PERSON_DETAILS,
                *_DOCUMENTS,
                _f("operator", "text", "carrier", "network", "provider"),
                _f("imsi", "text", "sim"),
                _f("activated", "timestamp", "activation_date", "start_date", "activated_at"),
                _f("deactivated", "timestamp", "deactivation_date", "end_date", "deactivated_at"),
                _RECORD_ID,
            ),
            "Subscriber (KYC) records of an operator: who registered a number.",
            needs_one_of=(),
        ),
        KindSpec(
            "persons",
            (
                _RECORD_ID,
                *_NAMES,
                _f("aliases", "list", "alias", "aka", "nicknames"),
                _DOB,
                _ADDRESS,
                _POSTCODE,
                _ID_NUMBER,
                *_PERSON_DETAILS,
                _OCCUPATION,
                *_DOCUMENTS,
                _f("phones", "phone_list", "phone", "phone_numbers", "telephones"),
                _f("emails", "list", "email", "email_addresses"),
                _f("accounts", "account_list", "account", "iban", "ibans", "bank_accounts"),
            ),
            "Person records (police, intelligence, open sources).",
            # what resolution can match a record on (resolution.records): names, id numbers,
            # identity documents, emails
            needs_one_of=(
                ("first_name", "last_name", "full_name", "id_number", *DOCUMENT_FIELDS, "emails"),
            ),
        ),
        KindSpec(
            "accounts",
            (
                _f("account_id", "account", "iban", "account_number", "account_no", required=True),
                _f("holder_name", "text", "holder", "account_holder", "owner", "name"),
                *_NAMES[:2],
                _DOB,
                _ADDRESS,
                *_PERSON_DETAILS,
                _OCCUPATION,
                *_DOCUMENTS,
                _f("bank", "text", "bank_name", "bic", "institution"),
                _f("opened", "timestamp", "open_date", "opened_at", "opening_date"),
                _f("closed", "timestamp", "close_date", "closed_at", "closing_date"),
                _RECORD_ID,
            ),
            "Bank account (KYC) records.",
        ),
        KindSpec(
            "transactions",
            (
                _f(
                    "from_account",
                    "account",
                    "source_account",
                    "debtor_account",
                    "payer",
                    "sender_account",
                    "from",
                    required=True,
                ),
                _f(
                    "to_account",
                    "account",
                    "destination_account",
                    "creditor_account",
                    "payee",
                    "beneficiary_account",
                    "receiver_account",
                    "to",
                    required=True,
                ),
                _f(
                    "timestamp",
                    "timestamp",
                    "date",
                    "datetime",
                    "transaction_date",
                    "booking_date",
                    "value_date",
                    "time",
                    required=True,
                ),
                _f("amount", "number", "value", "amt", required=True),
                _f("currency", "text", "ccy", "currency_code"),
                _f("reference", "text", "description", "memo", "narrative", "remittance_info"),
                _RECORD_ID,
            ),
            "Bank transactions between accounts.",
            encoded=True,
        ),
        KindSpec(
            "towers",
            (
                _f(
                    "cell_id",
                    "text",
                    "cell",
                    "cgi",
                    "tower",
                    "site_id",
                    "cell_identity",
                    required=True,
                ),
                _f("lat", "number", "latitude", required=True),
                _f("lon", "number", "lng", "long", "longitude", required=True),
                _f("azimuth", "number", "bearing", "direction"),
            ),
            "Cell-tower list with coordinates.",
        ),
        KindSpec(
            "contacts",
            (
                _f("source", "phone", "src", "from", "i", "a", "actor_a", "node_a", required=True),
                _f("target", "phone", "dst", "to", "j", "b", "actor_b", "node_b", required=True),
                _f("weight", "number", "count", "w", "calls", "n"),
                _f("kind", "text", "relation", "type", "layer", "tie"),
                _f("start", "timestamp", "first", "from_date", "start_date"),
                _f("end", "timestamp", "last", "to_date", "end_date"),
            ),
            "Ties between actors: pre-aggregated (meetings, wiretap summaries, kinship) or one"
            " row per timed contact (a wiretap or meeting log: start, weight 1 or none), which"
            " the relayed-orders test also reads.",
        ),
        KindSpec(
            "incidents",
            (
                _f("record_id", "text", "crime_id", "incident_id", "event_id", "id", "row_id"),
                _f(
                    "occurred",
                    "timestamp",
                    "occurred_at",
                    "datetime",
                    "date_time",
                    "timestamp",
                    "time",
                    "date",
                    "reported_at",
                    "incident_date",
                ),
                _f("month", "partial_date", "period", "year_month", doc="YYYY-MM"),
                _f("lon", "number", "longitude", "lng", "long"),
                _f("lat", "number", "latitude"),
                _f("easting", "number", "x_coordinate", "grid_x", "x"),
                _f("northing", "number", "y_coordinate", "grid_y", "y"),
                _f(
                    "crime_type",
                    "text",
                    "type",
                    "category",
                    "offence",
                    "offense",
                    "incident_type",
                    "crime_category",
                ),
                _f("location", "text", "address", "place", "street"),
                _f("area_code", "text", "lsoa_code", "beat", "ward", "area"),
                _f("outcome", "text", "last_outcome_category", "outcome_category", "status"),
            ),
            "Crime incidents with a place and a time (police.uk street-level files read as "
            "they are).",
            needs_one_of=(("occurred", "month"), ("lon", "easting"), ("lat", "northing")),
            one_of_errors=("missing_time", "missing_coordinates", "missing_coordinates"),
        ),
    )
}


def get_kind(name: str) -> KindSpec:
    """The kind called ``name``; InputError names the known kinds otherwise."""
    from graphkit.errors import InputError

    try:
        return KINDS[name]
    except KeyError:
        raise InputError(f"unknown kind {name!r}; known kinds: {', '.join(KINDS)}") from None


_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise_column_name(name: str) -> str:
    """Column name as compared with aliases: lower case, runs of other characters -> '_'."""
    return _NON_ALNUM.sub("_", name.strip().lstrip("\ufeff").lower()).strip("_")


def staging_ddl(kind: KindSpec) -> str:
    """CREATE TABLE statement of the staging table of ``kind`` (identifiers from this module)."""
    cols = [*PROVENANCE_COLUMNS, *kind.field_columns()]
    body = ",\n  ".join(f'"{c}" {t}' for c, t in cols)
    return f"CREATE TABLE IF NOT EXISTS {kind.table} (\n  {body}\n)"
