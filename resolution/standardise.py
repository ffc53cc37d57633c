"""Standardisation of person records before comparison.

Input is a *person records frame*: one row per source record, a ``unique_id`` column (unique,
text) and any of the columns in :data:`PERSON_COLUMNS`; absent columns count as null. Output
adds the standardised columns the Splink model compares (see :func:`standardise`). The heavy
lifting is vectorised SQL in DuckDB; only the phonetic keys are computed in Python, once per
distinct name token.
"""

from __future__ import annotations

import logging

import jellyfish
import numpy as np
import pandas as pd

from graphkit.codes import SEX_CODES, clean_code_sql, country_keys
from graphkit.errors import InputError
from graphkit.sqlsafety import bounded_connection
from resolution.nicknames import NICKNAMES, PARTICLES, TITLES

__all__ = [
    "COUNTRY_COLUMNS",
    "DOCUMENT_COLUMNS",
    "LIST_COLUMNS",
    "PERSON_COLUMNS",
    "STANDARD_COLUMNS",
    "standardise",
]

log = logging.getLogger(__name__)

#: identity documents (number, issuing country), as ingest names them
DOCUMENT_COLUMNS: tuple[str, ...] = (
    "passport_number",
    "passport_country",
    "national_id",
    "national_id_country",
    "driving_licence",
    "driving_licence_country",
)
#: columns holding a country: ISO 3166-1 alpha-2 after standardisation
COUNTRY_COLUMNS: tuple[str, ...] = (
    "birth_country",
    "nationality",
    "passport_country",
    "national_id_country",
    "driving_licence_country",
)

#: text columns a person records frame may carry (all optional except ``unique_id``)
PERSON_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "first_name",
    "last_name",
    "full_name",
    "dob",
    "dob_raw",
    "address",
    "postcode",
    "city",
    "id_number",
    "email",
    "gender",
    "sex",
    "occupation",
    "birth_place",
    "birth_country",
    "nationality",
    *DOCUMENT_COLUMNS,
)
#: list-of-text columns (graph evidence: identifiers a record shares with others)
LIST_COLUMNS: tuple[str, ...] = ("aliases", "phones", "accounts")

#: columns produced by :func:`standardise`
STANDARD_COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "given",
    "surname",
    "given_ph",
    "surname_ph",
    "name_concat",
    "name_tokens",
    "dob",
    "dob_year",
    "postcode",
    "postcode_area",
    "address",
    "city",
    "id_number",
    "email",
    "email_user",
    "gender",
    "occupation",
    "birth_place",
    "birth_country",
    "nationality",
    *DOCUMENT_COLUMNS,
    "phones",
    "accounts",
)

# a UK postcode at the end of a cleaned address ("m12 7gs", "m127gs")
_UK_POSTCODE = "\\b([a-z]{1,2}[0-9][a-z0-9]? ?[0-9][a-z]{2})"

_STREET_TYPES = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "place": "pl",
    "crescent": "cres",
    "drive": "dr",
    "court": "ct",
    "circuit": "cct",
    "lane": "ln",
    "terrace": "tce",
    "parade": "pde",
    "close": "cl",
    "square": "sq",
    "highway": "hwy",
    "piazza": "p.za",
    "viale": "v.le",
}


def _clean(expr: str) -> str:
    """SQL: lower case, accents stripped, anything but letters, digits and spaces -> space."""
    return (
        f"trim(regexp_replace(regexp_replace(lower(strip_accents(CAST({expr} AS VARCHAR))),"
        f" '[^a-z0-9 ]+', ' ', 'g'), ' +', ' ', 'g'))"
    )


def _name_clean(expr: str) -> str:
    """SQL: a cleaned name with digits, ordinals and titles removed, NULL when empty."""
    titles = "|".join(TITLES)
    inner = _clean(expr)
    no_digits = f"regexp_replace({inner}, '\\b[0-9]+(st|nd|rd|th)?\\b', ' ', 'g')"
    no_titles = f"regexp_replace({no_digits}, '\\b({titles})\\b', ' ', 'g')"
    return f"nullif(trim(regexp_replace({no_titles}, ' +', ' ', 'g')), '')"


def _dob_sql(expr: str) -> str:
    """SQL: a date of birth in one of several formats -> ISO text, partial where needed.

    Accepted: ``YYYY-MM-DD``, ``YYYY/MM/DD``, ``YYYYMMDD``, ``DD/MM/YYYY`` (day first, unless
    the first part cannot be a month day pair that way), ``DD.MM.YYYY``, ``DD-MM-YYYY``,
    ``YYYY-MM``, ``YYYY``. A month outside 1-12 keeps the year only; a day outside 1-31 keeps
    year and month.
    """
    s = f"trim(CAST({expr} AS VARCHAR))"
    ymd = (
        f"CASE WHEN regexp_matches({s}, '^\\d{{4}}[-/.]\\d{{1,2}}[-/.]\\d{{1,2}}')"
        f" THEN [regexp_extract({s}, '^(\\d{{4}})', 1),"
        f" regexp_extract({s}, '^\\d{{4}}[-/.](\\d{{1,2}})', 1),"
        f" regexp_extract({s}, '^\\d{{4}}[-/.]\\d{{1,2}}[-/.](\\d{{1,2}})', 1)]"
        f" WHEN regexp_matches({s}, '^\\d{{8}}$')"
        f" THEN [substr({s}, 1, 4), substr({s}, 5, 2), substr({s}, 7, 2)]"
        f" WHEN regexp_matches({s}, '^\\d{{1,2}}[-/.]\\d{{1,2}}[-/.]\\d{{4}}$')"
        f" THEN CASE WHEN CAST(regexp_extract({s}, '^\\d{{1,2}}[-/.](\\d{{1,2}})', 1) AS INT) > 12"
        f" THEN [regexp_extract({s}, '(\\d{{4}})$', 1),"
        f" regexp_extract({s}, '^(\\d{{1,2}})', 1),"
        f" regexp_extract({s}, '^\\d{{1,2}}[-/.](\\d{{1,2}})', 1)]"
        f" ELSE [regexp_extract({s}, '(\\d{{4}})$', 1),"
        f" regexp_extract({s}, '^\\d{{1,2}}[-/.](\\d{{1,2}})', 1),"
        f" regexp_extract({s}, '^(\\d{{1,2}})', 1)] END"
        f" WHEN regexp_matches({s}, '^\\d{{4}}[-/.]\\d{{1,2}}$')"
        f" THEN [substr({s}, 1, 4), regexp_extract({s}, '^\\d{{4}}[-/.](\\d{{1,2}})', 1), NULL]"
        f" WHEN regexp_matches({s}, '^\\d{{4}}$') THEN [{s}, NULL, NULL]"
        f" ELSE NULL END"
    )
    return ymd


_DOC_NUMBERS = ("passport_number", "national_id", "driving_licence")
_SEX_TEXT = "CAST(coalesce(sex, gender) AS VARCHAR)"


def _country(col: str) -> str:
    """SQL: a country column as its ISO alpha-2 code (ingest stores codes; library callers may
    pass names or demonyms), the upper-cased value when not recognised."""
    text = f"CAST({col} AS VARCHAR)"
    return (
        f"coalesce((SELECT first(code) FROM countries WHERE key = {clean_code_sql(text)}),"
        f" nullif(upper(trim({text})), ''))"
    )


def _document(col: str) -> str:
    """SQL: a document number as letters and digits, upper case."""
    return f"nullif(regexp_replace(upper(CAST({col} AS VARCHAR)), '[^A-Z0-9]', '', 'g'), '')"


def _phonetic_map(tokens: pd.Series) -> pd.DataFrame:
    """Metaphone key of each distinct token (Python, but once per distinct value)."""
    distinct = pd.Series(tokens.dropna().unique(), dtype=object)
    keys = [jellyfish.metaphone(t) or None for t in distinct]
    return pd.DataFrame({"token": distinct, "ph": keys})


def standardise(records: pd.DataFrame, *, memory_limit_gb: float = 1.0) -> pd.DataFrame:
    """Standardise a person records frame for comparison; the input is not modified.

    Names: lower case, accents stripped, titles and ordinals dropped; ``given`` is the first
    given-name token mapped through the nickname table (:mod:`resolution.nicknames`);
    ``surname`` is the family name, taken from the last token of ``full_name`` when absent
    (or the part before a comma: "Rossi, Mario"); ``given_ph`` / ``surname_ph`` are Metaphone
    keys (L. Philips, 1990); ``name_tokens`` is the sorted set of canonical tokens of every
    name, full name and alias, particles left out, so name order does not matter.
    Dates of birth become ISO text, partial when only the year or year-month is known;
    ``dob_raw`` (the date as given) is read where ``dob`` is empty, so a date ingest could
    not read whole (an impossible month or day) keeps its sound parts.
    Postcodes keep their outward part as ``postcode_area``; addresses abbreviate street
    types; id numbers keep letters and digits only; ``phones`` / ``accounts`` become sorted
    distinct lists.

    DuckDB works within ``memory_limit_gb`` (spilling to disk beyond it).

    Raises InputError when ``unique_id`` is missing, null or not unique.
    """
    if "unique_id" not in records.columns:
        raise InputError("person records need a unique_id column")
    frame = records.copy()
    frame["unique_id"] = frame["unique_id"].astype("string")
    if frame["unique_id"].isna().any():
        raise InputError("person records have a null unique_id")
    if frame["unique_id"].duplicated().any():
        dup = frame.loc[frame["unique_id"].duplicated(), "unique_id"].iloc[0]
        raise InputError(f"person records have a duplicate unique_id: {dup!r}")
    for col in PERSON_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    for col in LIST_COLUMNS:
        if col not in frame.columns:
            frame[col] = None
    frame = frame[list(PERSON_COLUMNS) + list(LIST_COLUMNS)]
    frame["_pos"] = np.arange(len(frame), dtype=np.int64)  # the output keeps the input order

    # bounded: these are streaming scans, joins and group-bys, which need no more (a 1M-record
    # frame peaks at 3.0 GB of RSS instead of 3.7, same time); DuckDB spills beyond it
    # values from source files reach this SQL: no file or network access
    con = bounded_connection(memory_limit_gb)
    try:
        con.register("raw", frame)
        nick = pd.DataFrame({"nick": list(NICKNAMES), "canon": list(NICKNAMES.values())})
        con.register("nick", nick)
        con.register("particles", pd.DataFrame({"p": list(PARTICLES)}))
        full_clean = _name_clean("full_name")
        sexes = pd.DataFrame(
            {"key": list(SEX_CODES), "code": [v.lower() for v in SEX_CODES.values()]}
        )
        con.register("sexmap", sexes)
        keys, codes = country_keys()
        con.register("countries", pd.DataFrame({"key": list(keys), "code": list(codes)}))
        con.execute(
            f"""
            CREATE TEMP TABLE base AS
            SELECT unique_id, _pos, CAST(source AS VARCHAR) AS source,
              {_name_clean("first_name")} AS first_c,
              {_name_clean("last_name")} AS last_c,
              {full_clean} AS full_c,
              CASE WHEN regexp_matches(CAST(full_name AS VARCHAR), '^\\s*[^\\s,]+\\s*,')
                   THEN {_name_clean("split_part(CAST(full_name AS VARCHAR), ',', 1)")}
                   END AS full_comma_last,
              list_transform(CAST(aliases AS VARCHAR[]), lambda a: {_name_clean("a")})
                AS aliases_c,
              {_dob_sql("coalesce(dob, dob_raw)")} AS dob_parts,
              nullif(trim(regexp_replace(lower(CAST(postcode AS VARCHAR)), '\\s+', ' ', 'g')), '')
                AS pc0,
              {_clean("address")} AS addr0,
              nullif({_clean("city")}, '') AS city,
              nullif(regexp_replace(upper(CAST(id_number AS VARCHAR)), '[^A-Z0-9]', '', 'g'), '')
                AS id_number,
              nullif(lower(trim(CAST(email AS VARCHAR))), '') AS email,
              coalesce(sexmap.code, nullif({_clean("coalesce(sex, gender)")}, '')) AS gender,
              nullif({_clean("occupation")}, '') AS occupation,
              nullif({_clean("birth_place")}, '') AS birth_place,
              {", ".join(f"{_country(c)} AS {c}" for c in COUNTRY_COLUMNS)},
              {", ".join(f"{_document(c)} AS {c}" for c in _DOC_NUMBERS)},
              list_sort(list_distinct(list_filter(CAST(phones AS VARCHAR[]),
                lambda x: x IS NOT NULL AND x <> ''))) AS phones,
              list_sort(list_distinct(list_filter(CAST(accounts AS VARCHAR[]),
                lambda x: x IS NOT NULL AND x <> ''))) AS accounts
            FROM raw
            LEFT JOIN sexmap ON sexmap.key = {clean_code_sql(_SEX_TEXT)}
            """
        )
        # family name: the last-name column, else the full name's comma part or last token
        con.execute(
            f"""
            CREATE TEMP TABLE named AS
            WITH a AS (
              SELECT *, nullif(regexp_extract(addr0, '{_UK_POSTCODE}$', 1), '') AS addr_pc
              FROM base
            )
            SELECT *,
              coalesce(pc0, CASE WHEN strpos(addr_pc, ' ') = 0
                                 THEN substr(addr_pc, 1, length(addr_pc) - 3) || ' '
                                      || substr(addr_pc, length(addr_pc) - 2)
                                 ELSE addr_pc END) AS pc,
              -- the postcode is compared on its own: keep it out of the street address
              nullif(trim(CASE WHEN addr_pc IS NOT NULL
                               THEN regexp_replace(addr0, '{_UK_POSTCODE}$', '')
                               WHEN pc0 IS NOT NULL AND strpos(addr0, pc0) > 0
                               THEN replace(addr0, pc0, '')
                               ELSE addr0 END), '') AS addr,
              coalesce(split_part(first_c, ' ', 1),
                       CASE WHEN full_comma_last IS NULL THEN split_part(full_c, ' ', 1)
                            ELSE nullif(split_part(
                                   trim(split_part(full_c, full_comma_last, 2)), ' ', 1), '')
                       END
              ) AS given0,
              coalesce(last_c, full_comma_last,
                       CASE WHEN strpos(full_c, ' ') > 0
                            THEN regexp_extract(full_c, '(\\S+)$', 1) END) AS surname
            FROM a
            """
        )
        con.execute(
            """
            CREATE TEMP TABLE toks AS
            WITH t AS (
              SELECT unique_id, unnest(string_split(concat_ws(' ', first_c, last_c, full_c,
                       array_to_string(aliases_c, ' ')), ' ')) AS tok
              FROM named
            )
            SELECT unique_id,
                   list_sort(list_distinct(list(coalesce(nick.canon, t.tok)))) AS name_tokens
            FROM t LEFT JOIN nick ON nick.nick = t.tok
            WHERE length(t.tok) > 1 AND t.tok NOT IN (SELECT p FROM particles)
            GROUP BY unique_id
            """
        )
        names = con.execute("SELECT given0, surname FROM named").df()
        ph = _phonetic_map(pd.concat([names["given0"], names["surname"]], ignore_index=True))
        canon_given = names["given0"].map(NICKNAMES)
        ph = pd.concat(
            [ph, _phonetic_map(canon_given).loc[lambda d: ~d["token"].isin(ph["token"])]],
            ignore_index=True,
        )
        con.register("ph", ph)
        street = pd.DataFrame({"w": list(_STREET_TYPES), "a": list(_STREET_TYPES.values())})
        con.register("street", street)
        out = con.sql(
            """
            WITH g AS (
              SELECT n.*, coalesce(nick.canon, n.given0) AS given
              FROM named n LEFT JOIN nick ON nick.nick = n.given0
            ), addr AS (
              SELECT unique_id,
                     nullif(array_to_string(list(coalesce(street.a, w.tok) ORDER BY w.pos), ' '),
                            '') AS address
              FROM (SELECT unique_id,
                           unnest(string_split(addr, ' ')) AS tok,
                           generate_subscripts(string_split(addr, ' '), 1) AS pos
                    FROM g WHERE addr IS NOT NULL AND addr <> '') w
              LEFT JOIN street ON street.w = w.tok
              GROUP BY unique_id
            ), d AS (
              SELECT unique_id, dob_parts[1] AS y,
                     TRY_CAST(dob_parts[2] AS INT) AS m, TRY_CAST(dob_parts[3] AS INT) AS dd
              FROM g
            )
            SELECT g.unique_id, g.source, g.given, g.surname,
                   pg.ph AS given_ph, ps.ph AS surname_ph,
                   CASE WHEN g.given IS NOT NULL AND g.surname IS NOT NULL
                        THEN g.given || ' ' || g.surname END AS name_concat,
                   toks.name_tokens,
                   CASE WHEN d.y IS NULL THEN NULL
                        WHEN d.m IS NULL OR d.m NOT BETWEEN 1 AND 12 THEN d.y
                        WHEN d.dd IS NULL OR d.dd NOT BETWEEN 1 AND 31
                          THEN d.y || '-' || lpad(CAST(d.m AS VARCHAR), 2, '0')
                        ELSE d.y || '-' || lpad(CAST(d.m AS VARCHAR), 2, '0') || '-'
                             || lpad(CAST(d.dd AS VARCHAR), 2, '0') END AS dob,
                   d.y AS dob_year,
                   g.pc AS postcode,
                   CASE WHEN strpos(g.pc, ' ') > 0 THEN split_part(g.pc, ' ', 1) END
                     AS postcode_area,
                   addr.address, g.city, g.id_number, g.email,
                   nullif(split_part(g.email, '@', 1), '') AS email_user,
                   g.gender, g.occupation, g.birth_place,
                   g.birth_country, g.nationality, g.passport_number, g.passport_country,
                   g.national_id, g.national_id_country, g.driving_licence,
                   g.driving_licence_country,
                   CASE WHEN len(g.phones) > 0 THEN g.phones END AS phones,
                   CASE WHEN len(g.accounts) > 0 THEN g.accounts END AS accounts
            FROM g
            JOIN d USING (unique_id)
            LEFT JOIN toks USING (unique_id)
            LEFT JOIN addr USING (unique_id)
            LEFT JOIN ph pg ON pg.token = g.given
            LEFT JOIN ph ps ON ps.token = g.surname
            ORDER BY g._pos
            """
        ).to_arrow_table()
    finally:
        con.close()
    log.debug("standardised %d person records", out.num_rows)
    # Arrow-backed columns, not Python objects: a 1M-record frame holds its text in about a
    # fifth of the memory, and DuckDB (Splink) scans it without converting each value
    return out.select(list(STANDARD_COLUMNS)).to_pandas(types_mapper=pd.ArrowDtype)
