"""Deterministic identities: one Phone, Account and Device node per normalised identifier.

Ingest already normalised the identifiers (phones to E.164 where valid, accounts to compact
IBANs where valid, IMEIs to digits with a Luhn-checked validity flag); an identity is simply
the normalised value, however many records mention it. These functions rebuild
``node_phone``, ``node_account`` and ``node_device`` from every staging table that mentions
one. All work is set-based SQL in the case's DuckDB.
"""

from __future__ import annotations

import logging

import duckdb

from graphkit.store import table_columns

__all__ = ["build_identities"]

log = logging.getLogger(__name__)

# (staging table, phone column) pairs that mention phones; lists are unnested
_PHONE_SOURCES = (
    ("src_cdr", "caller"),
    ("src_cdr", "callee"),
    ("src_subscribers", "msisdn"),
    ("src_contacts", "source"),
    ("src_contacts", "target"),
)
_ACCOUNT_SOURCES = (
    ("src_accounts", "account_id"),
    ("src_transactions", "from_account"),
    ("src_transactions", "to_account"),
)


def build_identities(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rebuild node_phone, node_account and node_device; return the node counts.

    Phones: every normalised number in CDR (caller, callee), subscribers, contacts (where
    the value is phone-valid) and person records' phone lists; ``first_seen``,
    ``last_seen``, ``events`` and the 168-bin ``hour_of_week`` profile (UTC, Monday 00h
    first) come from CDR calls and SMS. Accounts: account records, transactions and person
    records' account lists, with bank and holder name from the account records. Devices:
    IMEIs seen in CDR.
    """
    tables = ("src_cdr", "src_subscribers", "src_contacts", "src_persons", "src_accounts")
    cols = {t: table_columns(con, t) for t in (*tables, "src_transactions")}
    phone_parts = []
    for table, col in _PHONE_SOURCES:
        if col in cols[table] and f"{col}_valid" in cols[table]:
            cond = f"{col} IS NOT NULL"
            if table == "src_contacts":
                cond += f" AND {col}_valid"
            phone_parts.append(
                f"SELECT {col} AS msisdn, {col}_valid AS valid FROM {table} WHERE {cond}"
            )
    if "phones" in cols["src_persons"]:
        phone_parts.append(
            "SELECT p AS msisdn, regexp_matches(p, '^\\+[1-9][0-9]{6,14}$') AS valid "
            "FROM (SELECT unnest(phones) AS p FROM src_persons) WHERE p IS NOT NULL"
        )
    con.execute("DELETE FROM node_phone")
    if phone_parts:
        has_cdr = {"caller", "callee", "start", "event_type"} <= cols["src_cdr"]
        activity = (
            """
            , ev AS (
              SELECT caller AS msisdn, start FROM src_cdr
              WHERE event_type IN ('call', 'sms') AND caller IS NOT NULL
              UNION ALL
              SELECT callee, start FROM src_cdr
              WHERE event_type IN ('call', 'sms') AND callee IS NOT NULL
            ), how AS (
              SELECT msisdn, (isodow(start) - 1) * 24 + hour(start) AS h, count(*) AS n
              FROM ev WHERE start IS NOT NULL GROUP BY ALL
            ), hmap AS (
              SELECT msisdn, map_from_entries(list(struct_pack(k := h, v := n))) AS m
              FROM how GROUP BY msisdn
            ), prof AS (
              SELECT msisdn,
                     list_transform(range(168),
                       lambda i: CAST(coalesce(m[CAST(i AS BIGINT)], 0) AS DOUBLE))
                       AS hour_of_week
              FROM hmap
            ), act AS (
              SELECT msisdn, min(start) AS first_seen, max(start) AS last_seen,
                     count(*) AS events
              FROM ev GROUP BY msisdn
            )"""
            if has_cdr
            else ""
        )
        joins = "LEFT JOIN act USING (msisdn) LEFT JOIN prof USING (msisdn)" if has_cdr else ""
        select_act = (
            "act.first_seen, act.last_seen, coalesce(act.events, 0), prof.hour_of_week"
            if has_cdr
            else "NULL, NULL, 0, NULL"
        )
        con.execute(
            f"""
            INSERT INTO node_phone
            WITH ids AS (
              SELECT msisdn, bool_or(valid) AS valid_number
              FROM ({" UNION ALL ".join(phone_parts)}) GROUP BY msisdn
            ){activity}
            SELECT ids.msisdn, ids.valid_number, {select_act}
            FROM ids {joins}
            """
        )
    acct_parts = [
        f"SELECT {col} AS account_id, {col}_valid AS valid FROM {table} WHERE {col} IS NOT NULL"
        for table, col in _ACCOUNT_SOURCES
        if col in cols[table] and f"{col}_valid" in cols[table]
    ]
    if "accounts" in cols["src_persons"]:
        acct_parts.append(
            "SELECT a AS account_id, NULL::BOOLEAN AS valid "
            "FROM (SELECT unnest(accounts) AS a FROM src_persons) WHERE a IS NOT NULL"
        )
    con.execute("DELETE FROM node_account")
    if acct_parts:
        kyc = (
            "LEFT JOIN (SELECT account_id, min(bank) AS bank, min(holder_name) AS holder_name"
            " FROM src_accounts GROUP BY account_id) k USING (account_id)"
            if {"bank", "holder_name"} <= cols["src_accounts"]
            else ""
        )
        kyc_cols = "k.bank, k.holder_name" if kyc else "NULL, NULL"
        con.execute(
            f"""
            INSERT INTO node_account
            WITH ids AS (
              SELECT account_id, coalesce(bool_or(valid), false) AS valid_iban
              FROM ({" UNION ALL ".join(acct_parts)}) GROUP BY account_id
            )
            SELECT ids.account_id, ids.valid_iban, {kyc_cols} FROM ids {kyc}
            """
        )
    con.execute("DELETE FROM node_device")
    if {"imei", "imei_valid"} <= cols["src_cdr"]:
        con.execute(
            """
            INSERT INTO node_device
            SELECT imei, bool_or(imei_valid) FROM src_cdr WHERE imei IS NOT NULL GROUP BY imei
            """
        )
    counts = {
        t: int(con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
        for t in ("node_phone", "node_account", "node_device")
    }
    log.info("identities: %s", counts)
    return counts
