"""Splink comparisons and blocking rules over standardised person records.

Which comparisons and rules are used depends on which columns the records actually carry
(:func:`usable_columns`), so one model shape serves subscriber lists, KYC records, person
records and the benchmark datasets. Every level is built from Splink's level creators, so the
same settings run on DuckDB and on Spark.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pandas as pd

log = logging.getLogger(__name__)

__all__ = [
    "EM_RULE_COLUMNS",
    "PREDICTION_RULE_COLUMNS",
    "block_pair_count",
    "blocking_rules",
    "comparisons",
    "deterministic_rules",
    "em_rules",
    "prediction_rule_candidates",
    "settings_creator",
    "usable_columns",
]

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

    exact: Any = cll.ExactMatchLevel(col)
    if tf:
        exact = exact.configure(tf_adjustment_column=col)
    levels: list[Any] = [cll.NullLevel(col), exact]
    if fuzzy:
        levels.append(cll.DamerauLevenshteinLevel(col, 1))
        levels.append(cll.JaroWinklerLevel(col, 0.9))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name=col, comparison_levels=levels)


def _location_comparison() -> Any:
    """Street address, postcode and town as one comparison: they are strongly dependent (the
    postcode is part of the address and names the town), so scoring them apart would count
    one fact two or three times."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    no_address = cll.Or(cll.NullLevel("address"), cll.CustomLevel("address_r IS NULL"))
    no_postcode = cll.Or(cll.NullLevel("postcode"), cll.CustomLevel("postcode_r IS NULL"))
    no_city = cll.Or(cll.NullLevel("city"), cll.CustomLevel("city_r IS NULL"))
    return cl.CustomComparison(
        output_column_name="location",
        comparison_description="street address, postcode and town",
        comparison_levels=[
            cll.And(no_address, no_postcode, no_city).configure(
                is_null_level=True, label_for_charts="no address, postcode or town on both sides"
            ),
            cll.And(cll.ExactMatchLevel("address"), cll.ExactMatchLevel("postcode")).configure(
                label_for_charts="same address and postcode"
            ),
            cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"),
            cll.Or(
                cll.DamerauLevenshteinLevel("address", 1), cll.JaroWinklerLevel("address", 0.9)
            ).configure(label_for_charts="similar address"),
            cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
            cll.DamerauLevenshteinLevel("postcode", 1),
            cll.ExactMatchLevel("postcode_area"),
            cll.ExactMatchLevel("city").configure(tf_adjustment_column="city"),
            cll.Or(
                cll.DamerauLevenshteinLevel("city", 1), cll.JaroWinklerLevel("city", 0.9)
            ).configure(label_for_charts="similar town"),
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
    if columns & {"address", "postcode", "city"}:
        out.append(_location_comparison())
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


def rule_for(cols: tuple[str, ...], columns: frozenset[str]) -> Any | None:
    from splink import block_on

    if not {_DERIVED.get(c, c) for c in cols} <= columns:
        return None
    arrays = [c for c in cols if c in _LISTS]
    return block_on(*cols, arrays_to_explode=arrays or None)


#: candidate prediction rules, most specific first
PREDICTION_RULE_COLUMNS: tuple[tuple[str, ...], ...] = (
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


def blocking_rules(
    columns: frozenset[str], std: pd.DataFrame | None = None, *, max_rule_pairs: float = 0
) -> list[Any]:
    """Blocking rules for prediction, OR-ed: high recall without all-pairs comparison.

    Each rule is an equi-join (fast in DuckDB and Spark); a pair found by several rules is
    scored once. Rules that use absent columns are left out; with ``std`` and
    ``max_rule_pairs``, so is any rule generating more pairs than that (on skewed data a
    loose rule such as dob + initial grows quadratically; the others still find its pairs).
    """
    out = []
    for cols in PREDICTION_RULE_COLUMNS:
        rule = rule_for(cols, columns)
        if rule is None:
            continue
        if std is not None and max_rule_pairs and block_pair_count(std, cols) > max_rule_pairs:
            log.info("blocking rule on %s left out: more than %.0f pairs", cols, max_rule_pairs)
            continue
        out.append(rule)
    return out


def prediction_rule_candidates(columns: frozenset[str]) -> list[tuple[tuple[str, ...], Any]]:
    """Every prediction rule graphkit can generate for ``columns``, with its column tuple
    (:func:`blocking_rules` keeps a subset of these, in this order)."""
    return [
        (cols, rule)
        for cols in PREDICTION_RULE_COLUMNS
        if (rule := rule_for(cols, columns)) is not None
    ]


def settings_creator(columns: frozenset[str], rules: list[Any] | None = None) -> Any:
    """Splink settings for the usable ``columns``: graphkit's comparisons, and ``rules`` (by
    default every prediction rule for the columns) as the prediction blocking rules."""
    from splink import SettingsCreator

    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons(columns),
        blocking_rules_to_generate_predictions=blocking_rules(columns) if rules is None else rules,
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        em_convergence=0.001,
        max_iterations=20,
    )


def deterministic_rules(columns: frozenset[str]) -> list[Any]:
    """Near-certain rules used to estimate the prior match probability."""
    wanted: tuple[tuple[str, ...], ...] = (
        ("given", "surname", "dob"),
        ("id_number",),
        ("email",),
        ("given", "surname", "postcode"),
    )
    return [r for cols in wanted if (r := rule_for(cols, columns)) is not None]


def em_rules(columns: frozenset[str]) -> list[Any]:
    """Blocking rules of the EM sessions: each comparison is trained in at least one."""
    return [r for cols in EM_RULE_COLUMNS if (r := rule_for(cols, columns)) is not None]


#: column tuples of the EM sessions' blocking rules, in training order
#: (no session blocks on address or postcode: such blocks are dominated by households, whose
#: members EM would learn as "matches")
EM_RULE_COLUMNS: tuple[tuple[str, ...], ...] = (
    ("given", "surname"),
    ("dob",),
    ("id_number",),
    ("email",),
)


def _key_column(std: pd.DataFrame, expr: str) -> pd.Series:
    m = re.fullmatch(r"substr\((\w+), 1, (\d+)\)", expr)
    if m:
        return std[m.group(1)].str[: int(m.group(2))]
    return std[expr]


def block_pair_count(std: pd.DataFrame, cols: tuple[str, ...]) -> int:
    """Number of record pairs an equi-join rule on ``cols`` generates (nulls never join;
    list columns are exploded, as Splink does, and a pair is counted once per shared value)."""
    keys = pd.DataFrame({f"k{i}": _key_column(std, c) for i, c in enumerate(cols)})
    for i, c in enumerate(cols):
        if c in _LISTS:
            keys = keys.explode(f"k{i}")
    sizes = keys.dropna().groupby(list(keys.columns), sort=False).size()
    return int((sizes * (sizes - 1) // 2).sum())
