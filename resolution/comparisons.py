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
    "DOCUMENTS",
    "EM_RULE_COLUMNS",
    "PLACES",
    "PREDICTION_RULE_COLUMNS",
    "birth_place_follows_location",
    "block_pair_count",
    "block_pair_counts",
    "blocking_rules",
    "comparisons",
    "deterministic_rules",
    "em_rules",
    "halves_agree_sql",
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
    "birth_place",
    "birth_country",
    "nationality",
    "passport_number",
    "national_id",
    "driving_licence",
)
_LISTS = ("phones", "accounts", "name_tokens")


#: marker in a usable-column set: birth place and home location are compared as one
#: ``places`` comparison (see :func:`birth_place_follows_location`)
PLACES = "places"
#: joint agreement this many times what independence predicts counts as dependence
PLACES_LIFT = 4.0
_PLACES_SAMPLE = 200_000


def usable_columns(std: pd.DataFrame, *, min_fill: float) -> frozenset[str]:
    """Standardised columns filled in at least ``min_fill`` of the records (and not constant),
    plus :data:`PLACES` when birth place and home location are dependent in ``std``."""
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
    if "birth_place" in out and out & {"postcode", "city"} and birth_place_follows_location(std):
        out.add(PLACES)
    return frozenset(out)


def birth_place_follows_location(std: pd.DataFrame, *, seed: int = 0) -> bool:
    """Whether agreeing on the birth place and on the home area go together among random
    pairs (nearly all non-matches) far more often than independence predicts.

    Fellegi-Sunter multiplies the evidence of comparisons as if independent; where two
    records born in one place also tend to live in one postcode area (or where a data set's
    postcodes were drawn from the birth place), scoring both would count one fact twice.
    Random pairs of records that have both fields are sampled (seeded); if their joint
    agreement is over :data:`PLACES_LIFT` times the product of the two agreement rates (an
    overstatement of more than 2 bits of match weight), the two are compared as one. No
    labels are used.
    """
    import numpy as np

    area = std["postcode_area"].fillna(std["postcode"]) if "postcode_area" in std else None
    home = area if area is not None else std["city"]
    if area is not None and "city" in std:
        home = area.fillna(std["city"])
    both = std["birth_place"].notna() & home.notna()
    bp = std.loc[both, "birth_place"].to_numpy(dtype=object)
    hm = home[both].to_numpy(dtype=object)
    if len(bp) < 100:
        return False
    rng = np.random.default_rng(seed)
    i = rng.integers(0, len(bp), _PLACES_SAMPLE)
    j = rng.integers(0, len(bp), _PLACES_SAMPLE)
    keep = i != j
    a = bp[i[keep]] == bp[j[keep]]
    b = hm[i[keep]] == hm[j[keep]]
    joint = int((a & b).sum())
    if joint < 10:
        return False
    lift = (joint / len(a)) / (a.mean() * b.mean())
    log.info("birth place / home area agreement lift %.1f on random pairs", lift)
    return bool(lift > PLACES_LIFT)


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
            # a name part in another place (a surname given as the only name, a middle name,
            # a title's name): weak alone, but a cross-field agreement the levels above miss
            cll.ArrayIntersectLevel("name_tokens", 1).configure(
                label_for_charts="a name token shared"
            ),
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
            # term frequencies: placeholder dates (1 January for a year known alone, the
            # first of a month) are common and say little when they agree
            cll.CustomLevel(f"dob_l = dob_r AND {full}", "exact full date").configure(
                tf_adjustment_column="dob", disable_tf_exact_match_detection=True
            ),
            # the halves first: the distance on every pair of differing full dates made this
            # the costliest comparison of scoring (300,000 records: 2.2 of about 5.7 s; 1.0-1.2 s
            # now, the same levels; docs/resolution.md)
            cll.And(cll.CustomLevel(full, "both full"), _one_edit("dob")).configure(
                label_for_charts="one digit or swap apart"
            ),
            # a year and month agreeing where one date has no day is all the evidence there
            # is: kept apart from full dates that differ in the day. A year alone is not: it
            # stays with "same year" below, since with a shared surname and address (spouses,
            # relatives: one household) a birth year in common merged two people of a
            # simulated case (the comparisons add up as if independent)
            cll.CustomLevel(
                "substr(dob_l, 1, 7) = substr(dob_r, 1, 7)"
                " AND least(length(dob_l), length(dob_r)) = 7",
                "same year and month, no day on one side",
            ),
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


def halves_agree_sql(col: str) -> str:
    """SQL (DuckDB and Spark): the first half of the shorter length agrees, or the last half
    less one character does. Every pair within one edit (Damerau-Levenshtein <= 1) passes:
    the prefix before the edit and the suffix after it are shared, and one of them is that
    long. Checked first, it spares the costly distance on most pairs, with the same result
    (``tests/resolution/test_comparisons.py`` checks it against the distance alone)."""
    left, right = f"{col}_l", f"{col}_r"
    shorter = f"least(length({left}), length({right}))"
    half = f"CAST(floor({shorter} / 2) AS INT)"
    tail = f"(CAST(ceil({shorter} / 2) AS INT) - 1)"
    return (
        f"(substr({left}, 1, {half}) = substr({right}, 1, {half})"
        f" OR substr({left}, length({left}) - {tail} + 1)"
        f" = substr({right}, length({right}) - {tail} + 1))"
    )


def _one_edit(col: str) -> Any:
    """Damerau-Levenshtein distance <= 1, the cheap :func:`halves_agree_sql` test first."""
    import splink.comparison_level_library as cll

    return cll.And(
        cll.CustomLevel(halves_agree_sql(col)), cll.DamerauLevenshteinLevel(col, 1)
    ).configure(label_for_charts=f"Damerau-Levenshtein distance of {col} <= 1")


def _text_comparison(col: str, *, fuzzy: bool, tf: bool) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    exact: Any = cll.ExactMatchLevel(col)
    if tf:
        exact = exact.configure(tf_adjustment_column=col)
    levels: list[Any] = [cll.NullLevel(col), exact]
    if fuzzy:
        levels.append(_one_edit(col))
        levels.append(cll.JaroWinklerLevel(col, 0.9))
    levels.append(cll.ElseLevel())
    return cl.CustomComparison(output_column_name=col, comparison_levels=levels)


def _missing(col: str) -> Any:
    import splink.comparison_level_library as cll

    return cll.Or(cll.NullLevel(col), cll.CustomLevel(f"{col}_r IS NULL"))


def _birth_levels() -> list[Any]:
    """Agreement levels of the place and country of birth (strongest first)."""
    import splink.comparison_level_library as cll

    return [
        cll.ExactMatchLevel("birth_place").configure(tf_adjustment_column="birth_place"),
        cll.Or(_one_edit("birth_place"), cll.JaroWinklerLevel("birth_place", 0.9)).configure(
            label_for_charts="similar birth place"
        ),
        cll.ExactMatchLevel("birth_country").configure(tf_adjustment_column="birth_country"),
    ]


def _birth_comparison() -> Any:
    """Place and country of birth as one comparison: the place names the country."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    return cl.CustomComparison(
        output_column_name="birth",
        comparison_description="place and country of birth",
        comparison_levels=[
            cll.And(_missing("birth_place"), _missing("birth_country")).configure(
                is_null_level=True, label_for_charts="no birth place or country on both sides"
            ),
            *_birth_levels(),
            cll.ElseLevel(),
        ],
    )


def _location_comparison(*, with_birth: bool = False) -> Any:
    """Street address, postcode and town as one comparison: they are strongly dependent (the
    postcode is part of the address and names the town), so scoring them apart would count
    one fact two or three times. ``with_birth``: the place and country of birth too, as
    lower levels (``places``), where the data show them dependent on the home area."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    no_address = _missing("address")
    no_postcode = _missing("postcode")
    no_city = _missing("city")
    nothing = [no_address, no_postcode, no_city]
    if with_birth:
        nothing += [_missing("birth_place"), _missing("birth_country")]
    return cl.CustomComparison(
        output_column_name="places" if with_birth else "location",
        comparison_description="street address, postcode and town"
        + (", place and country of birth" if with_birth else ""),
        comparison_levels=[
            cll.And(*nothing).configure(
                is_null_level=True,
                label_for_charts="no address, postcode or town on both sides"
                if not with_birth
                else "no address, postcode, town or birth place on both sides",
            ),
            cll.And(cll.ExactMatchLevel("address"), cll.ExactMatchLevel("postcode")).configure(
                label_for_charts="same address and postcode"
            ),
            cll.ExactMatchLevel("address").configure(tf_adjustment_column="address"),
            cll.Or(_one_edit("address"), cll.JaroWinklerLevel("address", 0.9)).configure(
                label_for_charts="similar address"
            ),
            cll.ExactMatchLevel("postcode").configure(tf_adjustment_column="postcode"),
            _one_edit("postcode"),
            cll.ExactMatchLevel("postcode_area"),
            cll.ExactMatchLevel("city").configure(tf_adjustment_column="city"),
            cll.Or(_one_edit("city"), cll.JaroWinklerLevel("city", 0.9)).configure(
                label_for_charts="similar town"
            ),
            *(_birth_levels() if with_birth else []),
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


def _document_comparison(col: str, what: str) -> Any:
    """An identity document: the number, with its issuing country where both records have
    one (one number issued by two countries is two documents)."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    country = f"{col.removesuffix('_number')}_country"
    return cl.CustomComparison(
        output_column_name=col,
        comparison_description=f"{what} number and issuing country",
        comparison_levels=[
            cll.NullLevel(col),
            cll.And(cll.ExactMatchLevel(col), cll.ExactMatchLevel(country)).configure(
                label_for_charts=f"same {what}, same issuing country"
            ),
            cll.And(
                cll.ExactMatchLevel(col),
                cll.CustomLevel(f"{country}_l IS NULL OR {country}_r IS NULL"),
            ).configure(label_for_charts=f"same {what} number, issuing country not on both"),
            cll.ExactMatchLevel(col).configure(
                label_for_charts=f"same {what} number, different issuing countries"
            ),
            _one_edit(col).configure(label_for_charts=f"{what} numbers one typo apart"),
            cll.ElseLevel(),
        ],
    )


#: identity document columns and what they are called in explanations
DOCUMENTS: tuple[tuple[str, str], ...] = (
    ("passport_number", "passport"),
    ("national_id", "national id"),
    ("driving_licence", "driving licence"),
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
    places = PLACES in columns
    if columns & {"address", "postcode", "city"}:
        out.append(_location_comparison(with_birth=places))
    if "id_number" in columns:
        out.append(_text_comparison("id_number", fuzzy=True, tf=False))
    if "email" in columns:
        out.append(_email_comparison())
    if "gender" in columns:
        out.append(_text_comparison("gender", fuzzy=False, tf=False))
    if "occupation" in columns:
        out.append(_text_comparison("occupation", fuzzy=False, tf=True))
    # place and country of birth, nationality: few values, skewed (most people in a case
    # share them), so an agreement on a rare value counts more (term frequencies)
    if columns & {"birth_place", "birth_country"} and not places:
        out.append(_birth_comparison())
    if "nationality" in columns:
        out.append(_text_comparison("nationality", fuzzy=False, tf=True))
    for col, what in DOCUMENTS:
        if col in columns:
            out.append(_document_comparison(col, what))
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
    "postcode_area": "postcode",
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
    # added with the person details (after the rules above, so saved models keep theirs)
    ("surname", "birth_place"),
    ("given", "birth_place"),
    ("dob", "birth_place"),
    ("surname_ph", "birth_place"),
    ("passport_number",),
    ("national_id",),
    ("driving_licence",),
    # added for sparse records (after the rules above, so saved models keep theirs): a
    # postcode alone, and any one name token (order-free, nicknames canonical: a surname
    # given as the only name still meets it) with dob, postcode, area, town or birth place
    ("postcode",),
    ("name_tokens", "dob"),
    ("name_tokens", "postcode"),
    ("name_tokens", "postcode_area"),
    ("name_tokens", "city"),
    ("name_tokens", "birth_place"),
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
    candidates = prediction_rule_candidates(columns)
    if std is None or not max_rule_pairs:
        return [rule for _cols, rule in candidates]
    out = []
    counts = block_pair_counts(std, [cols for cols, _rule in candidates])
    for (cols, rule), pairs in zip(candidates, counts, strict=True):
        if pairs > max_rule_pairs:
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
        ("passport_number",),
        ("national_id",),
        ("driving_licence",),
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
    ("passport_number",),
    ("national_id",),
    ("driving_licence",),
)


_PREFIX = re.compile(r"substr\((\w+), 1, (\d+)\)")


def _source_column(expr: str) -> str:
    m = _PREFIX.fullmatch(expr)
    return m.group(1) if m else expr


def _key_sql(expr: str) -> str:
    m = _PREFIX.fullmatch(expr)
    return f'substr("{m.group(1)}", 1, {m.group(2)})' if m else f'"{expr}"'


def block_pair_counts(std: pd.DataFrame, rules: list[tuple[str, ...]]) -> list[int]:
    """Number of record pairs each equi-join rule on a column tuple of ``rules`` generates
    (nulls never join; list columns are exploded, as Splink does, and a pair is counted once
    per shared value): the sum over blocks of size k of k (k - 1) / 2, computed in DuckDB
    without forming a pair."""
    import duckdb

    from graphkit.sqlsafety import lock_down

    needed = sorted({_source_column(c) for cols in rules for c in cols})
    needed = [c for c in needed if c in std.columns]
    con = duckdb.connect(":memory:")
    try:
        lock_down(con)
        con.register("std_in", std[needed])
        con.execute("CREATE TABLE keys AS SELECT * FROM std_in")
        con.unregister("std_in")
        counts = []
        for cols in rules:
            if not {_source_column(c) for c in cols} <= set(needed):
                counts.append(0)
                continue
            if sum(c in _LISTS for c in cols) > 1:  # unnests in one SELECT zip, not cross
                raise ValueError(f"a blocking rule may hold one list column, not {cols}")
            keys = [f"unnest({_key_sql(c)})" if c in _LISTS else _key_sql(c) for c in cols]
            inner = ", ".join(f"{k} AS k{i}" for i, k in enumerate(keys))
            not_null = " AND ".join(f"k{i} IS NOT NULL" for i in range(len(keys)))
            group = ", ".join(f"k{i}" for i in range(len(keys)))
            row = con.execute(
                f"SELECT coalesce(sum(n * (n - 1) // 2), 0) FROM ("
                f"SELECT count(*) AS n FROM (SELECT {inner} FROM keys) "
                f"WHERE {not_null} GROUP BY {group})"
            ).fetchone()
            counts.append(int(row[0]) if row else 0)
        return counts
    finally:
        con.close()


def block_pair_count(std: pd.DataFrame, cols: tuple[str, ...]) -> int:
    """Number of record pairs an equi-join rule on ``cols`` generates
    (see :func:`block_pair_counts`)."""
    return block_pair_counts(std, [cols])[0]
