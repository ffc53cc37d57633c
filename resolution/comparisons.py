"""Splink comparisons and blocking rules over standardised person records.

Which comparisons and rules are used depends on which columns the records actually carry
(:func:`usable_columns`), so one model shape serves subscriber lists, KYC records, person
records and the benchmark datasets. Every level is built from Splink's level creators, so the
same settings run on DuckDB and on Spark.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["blocking_rules", "comparisons", "deterministic_rules", "em_rules", "usable_columns"]

_TEXT = (
    "given",
    "surname",
    "dob",
    "postcode",
    "address",
    "city",
    "id_number",
    "email",
    "gender",
    "occupation",
)
_LISTS = ("phones", "accounts", "name_tokens")


def usable_columns(std: pd.DataFrame, *, min_fill: float) -> frozenset[str]:
    """Standardised columns filled in at least ``min_fill`` of the records (and not constant)."""
    n = max(len(std), 1)
    out = set()
    for col in (*_TEXT, *_LISTS):
        if col not in std.columns:
            continue
        filled = std[col].notna()
        if filled.sum() / n < min_fill:
            continue
        if col in _TEXT and std.loc[filled, col].nunique() < 2:
            continue
        out.add(col)
    return frozenset(out)


def _name_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    given_missing = cll.Or(cll.NullLevel("given"), cll.CustomLevel("given_r IS NULL"))
    surname_missing = cll.Or(cll.NullLevel("surname"), cll.CustomLevel("surname_r IS NULL"))
    return cl.CustomComparison(
        output_column_name="name",
        comparison_description="given name and surname, nicknames canonical, order-free",
        comparison_levels=[
            cll.And(given_missing, surname_missing).configure(
                is_null_level=True, label_for_charts="no name part on both sides"
            ),
            cll.ExactMatchLevel("name_concat").configure(
                tf_adjustment_column="name_concat", label_for_charts="exact given and surname"
            ),
            cll.ColumnsReversedLevel("given", "surname", symmetrical=True),
            cll.And(cll.JaroWinklerLevel("given", 0.92), cll.JaroWinklerLevel("surname", 0.92)),
            cll.ArrayIntersectLevel("name_tokens", 2).configure(
                label_for_charts="two name tokens shared"
            ),
            cll.And(cll.ExactMatchLevel("surname_ph"), cll.ExactMatchLevel("given_ph")).configure(
                label_for_charts="phonetic keys agree"
            ),
            cll.And(cll.ExactMatchLevel("surname"), given_missing).configure(
                tf_adjustment_column="surname", label_for_charts="surname exact, no given name"
            ),
            cll.And(cll.ExactMatchLevel("given"), surname_missing).configure(
                tf_adjustment_column="given", label_for_charts="given exact, no surname"
            ),
            cll.And(
                cll.Or(cll.JaroWinklerLevel("surname", 0.88), cll.JaroWinklerLevel("given", 0.88)),
                cll.Or(given_missing, surname_missing),
            ).configure(label_for_charts="one part similar, the other missing"),
            cll.And(cll.JaroWinklerLevel("given", 0.8), cll.JaroWinklerLevel("surname", 0.8)),
            cll.ExactMatchLevel("surname").configure(tf_adjustment_column="surname"),
            cll.ExactMatchLevel("given").configure(tf_adjustment_column="given"),
            cll.ElseLevel(),
        ],
    )


def _dob_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    full = "length(dob_l) = 10 AND length(dob_r) = 10"
    return cl.CustomComparison(
        output_column_name="dob",
        comparison_description="date of birth, partial dates compared at their precision",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.CustomLevel(f"dob_l = dob_r AND {full}", "exact full date"),
            cll.And(
                cll.CustomLevel(full, "both full"), cll.DamerauLevenshteinLevel("dob", 1)
            ).configure(label_for_charts="one digit or swap apart"),
            cll.CustomLevel(
                "substr(dob_l, 1, 7) = substr(dob_r, 1, 7)"
                " AND length(dob_l) >= 7 AND length(dob_r) >= 7",
                "same year and month",
            ),
            cll.CustomLevel("dob_year_l = dob_year_r", "same year"),
            cll.CustomLevel(
                "abs(CAST(dob_year_l AS INT) - CAST(dob_year_r AS INT)) <= 2",
                "years within 2",
            ),
            cll.ElseLevel(),
        ],
    )


def _text_comparison(col: str, *, fuzzy: bool, tf: bool) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    exact = cll.ExactMatchLevel(col)
    if tf:
        exact = exact.configure(tf_adjustment_column=col)
    levels: list[Any] = [cll.NullLevel(col), exact]
    if fuzzy:
        levels.append(cll.DamerauLevenshteinLevel(col, 1))
        levels.append(cll.JaroWinklerLevel(col, 0.9))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name=col, comparison_levels=levels)


def _postcode_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="postcode",
        comparison_levels=[
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
            cll.DamerauLevenshteinLevel("postcode", 1),
            cll.ExactMatchLevel("postcode_area"),
            cll.ElseLevel(),
        ],
    )


def _email_comparison() -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="email",
        comparison_levels=[
            cll.NullLevel("email"),
            cll.ExactMatchLevel("email"),
            cll.ExactMatchLevel("email_user"),
            cll.JaroWinklerLevel("email", 0.9),
            cll.JaroWinklerLevel("email_user", 0.88),
            cll.ElseLevel(),
        ],
    )


def _shared(col: str, what: str) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=f"graph evidence: {what} shared by both records",
        comparison_levels=[
            cll.NullLevel(col),
            cll.ArrayIntersectLevel(col, 1).configure(label_for_charts=f"a shared {what}"),
            cll.ElseLevel(),
        ],
    )


def comparisons(columns: frozenset[str]) -> list[Any]:
    """Splink comparisons for the usable ``columns`` (see :func:`usable_columns`)."""
    out: list[Any] = []
    if {"given", "surname"} <= columns:
        out.append(_name_comparison())
    if "dob" in columns:
        out.append(_dob_comparison())
    if "postcode" in columns:
        out.append(_postcode_comparison())
    if "address" in columns:
        out.append(_text_comparison("address", fuzzy=True, tf=True))
    if "city" in columns:
        out.append(_text_comparison("city", fuzzy=True, tf=True))
    if "id_number" in columns:
        out.append(_text_comparison("id_number", fuzzy=True, tf=False))
    if "email" in columns:
        out.append(_email_comparison())
    if "gender" in columns:
        out.append(_text_comparison("gender", fuzzy=False, tf=False))
    if "occupation" in columns:
        out.append(_text_comparison("occupation", fuzzy=False, tf=True))
    if "phones" in columns:
        out.append(_shared("phones", "phone"))
    if "accounts" in columns:
        out.append(_shared("accounts", "account"))
    return out


_DERIVED = {
    "given_ph": "given",
    "surname_ph": "surname",
    "dob_year": "dob",
    "email_user": "email",
    "substr(given, 1, 1)": "given",
    "substr(surname, 1, 1)": "surname",
}


def _rule(cols: tuple[str, ...], columns: frozenset[str]) -> Any | None:
    from splink import block_on

    if not {_DERIVED.get(c, c) for c in cols} <= columns:
        return None
    arrays = [c for c in cols if c in _LISTS]
    return block_on(*cols, arrays_to_explode=arrays or None)


def blocking_rules(columns: frozenset[str]) -> list[Any]:
    """Blocking rules for prediction, OR-ed: high recall without all-pairs comparison.

    Each rule is an equi-join (fast in DuckDB and Spark); a pair found by several rules is
    scored once. Rules that use absent columns are left out.
    """
    wanted: tuple[tuple[str, ...], ...] = (
        ("given", "surname"),
        ("surname", "dob"),
        ("given", "dob"),
        ("surname_ph", "dob_year"),
        ("given_ph", "surname_ph"),
        ("given", "postcode"),
        ("surname", "postcode"),
        ("dob", "postcode"),
        ("dob", "city"),
        ("surname", "city"),
        ("given", "city"),
        ("dob", "substr(given, 1, 1)"),
        ("dob", "substr(surname, 1, 1)"),
        ("given_ph", "dob_year"),
        ("surname_ph", "city"),
        ("id_number",),
        ("email",),
        ("email_user",),
        ("address",),
        ("phones",),
        ("accounts",),
    )
    return [r for cols in wanted if (r := _rule(cols, columns)) is not None]


def deterministic_rules(columns: frozenset[str]) -> list[Any]:
    """Near-certain rules used to estimate the prior match probability."""
    wanted: tuple[tuple[str, ...], ...] = (
        ("given", "surname", "dob"),
        ("id_number",),
        ("email",),
        ("given", "surname", "postcode"),
    )
    return [r for cols in wanted if (r := _rule(cols, columns)) is not None]


def em_rules(columns: frozenset[str]) -> list[Any]:
    """Blocking rules of the EM sessions: each comparison is trained in at least one."""
    wanted: tuple[tuple[str, ...], ...] = (
        ("given", "surname"),
        ("dob",),
        ("postcode",),
        ("id_number",),
        ("email",),
    )
    return [r for cols in wanted if (r := _rule(cols, columns)) is not None]
