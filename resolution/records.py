"""Person-bearing records of a case: subscribers, account holders and person records.

Reads the staging tables written by ingest (``src_subscribers``, ``src_accounts``,
``src_persons``) into one person records frame (see :mod:`resolution.standardise`) keyed by
record key ``<source_name>:<record_id>``, with ``anchor_rank`` (source ingest order, then row
number) for stable ids. Exact duplicate rows (``is_duplicate``) are left out: they are the
same record as an earlier row.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

from graphkit.errors import InputError
from graphkit.store import table_columns

__all__ = ["DETAIL_COLUMNS", "PERSON_SOURCES", "load_person_records", "source_order"]

#: person details and identity documents a staging table may carry (cases ingested before
#: these fields existed lack them: they read as NULL); ``dob_raw`` is the date of birth as
#: given, which standardisation reads where ingest could not (its sound parts are kept)
DETAIL_COLUMNS: tuple[str, ...] = (
    "dob_raw",
    "sex",
    "birth_place",
    "birth_country",
    "nationality",
    "occupation",
    "passport_number",
    "passport_country",
    "national_id",
    "national_id_country",
    "driving_licence",
    "driving_licence_country",
)

#: staging table -> SQL projecting it onto the person records frame ({details}: the
#: :data:`DETAIL_COLUMNS`, each the table's column or NULL)
PERSON_SOURCES: dict[str, str] = {
    "src_subscribers": """
        SELECT source_name, row_number, record_id, 'subscribers' AS kind,
               first_name, last_name, full_name, NULL::VARCHAR[] AS aliases, dob, address,
               postcode, id_number, NULL AS email,
               CASE WHEN msisdn IS NOT NULL THEN [msisdn] END AS phones,
               NULL::VARCHAR[] AS accounts, activated, deactivated, {details}
        FROM src_subscribers WHERE NOT coalesce(is_duplicate, false)""",
    "src_persons": """
        SELECT source_name, row_number, record_id, 'persons' AS kind,
               first_name, last_name, full_name, aliases, dob, address, postcode, id_number,
               emails[1] AS email, phones, accounts,
               NULL::TIMESTAMPTZ AS activated, NULL::TIMESTAMPTZ AS deactivated, {details}
        FROM src_persons WHERE NOT coalesce(is_duplicate, false)""",
    "src_accounts": """
        SELECT source_name, row_number, record_id, 'accounts' AS kind,
               first_name, last_name, coalesce(holder_name, NULL) AS full_name,
               NULL::VARCHAR[] AS aliases, dob, address, NULL AS postcode, NULL AS id_number,
               NULL AS email, NULL::VARCHAR[] AS phones,
               CASE WHEN account_id IS NOT NULL THEN [account_id] END AS accounts,
               opened AS activated, closed AS deactivated, {details}
        FROM src_accounts WHERE NOT coalesce(is_duplicate, false)""",
}

_DOCUMENTS = ("passport_number", "national_id", "driving_licence")

_REQUIRED: dict[str, tuple[str, ...]] = {
    "src_subscribers": ("msisdn", "first_name", "last_name", "full_name", "dob", "activated"),
    "src_persons": ("first_name", "last_name", "full_name", "phones", "accounts", "emails"),
    "src_accounts": ("account_id", "holder_name", "first_name", "last_name", "dob", "opened"),
}


def source_order(manifest: dict[str, Any]) -> dict[str, int]:
    """Rank of each ingested source: by ingest sequence (cases made before it was recorded:
    by start time, to the second, then name)."""
    sources = manifest.get("sources", {})
    ingested = [
        (int(s.get("sequence", 0)), str(s.get("started_at", "")), name)
        for name, s in sources.items()
        if s.get("status") == "ingested"
    ]
    return {name: i for i, (*_, name) in enumerate(sorted(ingested))}


def load_person_records(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any]) -> pd.DataFrame:
    """All person-bearing records of the case as one frame.

    Columns: ``unique_id`` (= record key), ``record_key``, ``source``, ``kind``,
    ``record_id``, ``row_number``, ``anchor_rank`` and the person fields. Records without
    any name, id number or email cannot be resolved and are left out (their phones and accounts
    stay unattributed). Raises InputError when the case has no person-bearing records, or
    a staging table lacks the columns resolution needs.
    """
    parts = []
    for table, sql in PERSON_SOURCES.items():
        cols = table_columns(con, table)
        if not cols:
            continue
        missing = [c for c in _REQUIRED[table] if c not in cols]
        if missing:
            raise InputError(f"{table} lacks column(s) {', '.join(missing)}: re-ingest it")
        details = ", ".join(
            f'"{c}"' if c in cols else f'NULL::VARCHAR AS "{c}"' for c in DETAIL_COLUMNS
        )
        parts.append(con.execute(sql.format(details=details)).df())
    frames = [p for p in parts if len(p)]
    if not frames:
        raise InputError(
            "no person records to resolve: ingest a subscribers, persons or accounts source"
        )
    recs = pd.concat(frames, ignore_index=True)
    identity = ["first_name", "last_name", "full_name", "id_number", "email", *_DOCUMENTS]
    named = recs[identity].notna().any(axis=1)
    recs = recs.loc[named].copy()
    if recs.empty:
        raise InputError("person-bearing sources carry no names, id numbers or emails to resolve")
    recs["record_id"] = recs["record_id"].astype(str)
    key = recs["source_name"].astype(str) + ":" + recs["record_id"]
    dup = key.duplicated(keep=False)
    # a record id repeated within one source (not an exact duplicate row) gets its row number
    key = key.where(~dup, key + "#" + recs["row_number"].astype(str))
    recs["record_key"] = key
    recs["unique_id"] = key
    recs["source"] = recs["source_name"].astype(str)
    order = source_order(manifest)
    rank_source = recs["source"].map(order).fillna(len(order)).astype("int64")
    recs = recs.assign(_rs=rank_source).sort_values(["_rs", "row_number"], kind="stable")
    recs["anchor_rank"] = range(len(recs))
    return recs.drop(columns=["_rs", "source_name"]).reset_index(drop=True)
