"""Saved resolution models are data, not code.

A Splink JSON model holds SQL: every comparison level's ``sql_condition``, every blocking
rule, and identifiers (column names, prefixes, the linker id) that Splink pastes into its
queries. A model file passed to ``graphkit resolve --model`` is input, so none of that text is
executed. :func:`rebuild_model` accepts only models whose comparisons and blocking rules
graphkit itself generates and returns a **new** settings dict built by graphkit's own
comparison creator (:func:`resolution.comparisons.settings_creator`), into which only the
learned numbers are copied:

* the prior ``probability_two_random_records_match`` (a finite number in (0, 1)),
* each level's ``m_probability`` and ``u_probability`` (finite numbers in [0, 1], or absent
  where Splink could not train them).

Term-frequency settings (which column, weight 1) are part of graphkit's comparisons and come
from the creator, never from the file.

What is checked, each failure one :class:`~graphkit.errors.InputError` line that names the
file but echoes none of its content:

* the file is a regular file of at most :data:`MAX_MODEL_BYTES`, UTF-8 JSON, an object,
  without ``NaN``/``Infinity``;
* the comparison names (``output_column_name``) are graphkit's, in graphkit's order; each
  comparison has exactly graphkit's levels, and each level's SQL condition and
  term-frequency settings equal (whitespace aside) what graphkit generates for that level;
  no key appears that graphkit does not write;
* every other setting (link type, unique id column, column prefixes, ...) equals graphkit's;
  ``linker_uid`` (pasted into table names by Splink) is dropped and Splink draws a new one;
* blocking rules: each rule must equal (whitespace aside) one that graphkit's generator
  produces for the model's columns (:func:`resolution.comparisons.prediction_rule_candidates`);
  the model keeps the **subset and order it declares** (so a model trained where a loose rule
  was left out still scores the same pairs), but the rule objects are graphkit's own,
  regenerated from their column tuples. A model with no rule, or a rule twice, is refused
  (no rule would score all pairs).

The same function expresses the model in another engine's dialect (DuckDB or Spark), which is
how :func:`resolution.linkage.model_for_engine` changes engine: every level and rule is
regenerated in the target dialect, so no SQL translation is needed.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from graphkit.errors import InputError
from resolution.comparisons import (
    halves_agree_sql,
    prediction_rule_candidates,
    settings_creator,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "MAX_MODEL_BYTES",
    "columns_for_names",
    "load_saved_model",
    "rebuild_model",
]

#: largest model file accepted (a graphkit model is about 30 kB)
MAX_MODEL_BYTES = 10 * 1024 * 1024

#: comparison name (``output_column_name``) -> the usable columns that produce it
COMPARISON_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("given", "surname", "name_tokens"),
    "dob": ("dob",),
    "location": ("address", "postcode", "city"),
    "id_number": ("id_number",),
    "email": ("email",),
    "gender": ("gender",),
    "occupation": ("occupation",),
    "birth": ("birth_place", "birth_country"),
    "places": ("address", "postcode", "city", "birth_place", "birth_country", "places"),
    "nationality": ("nationality",),
    "passport_number": ("passport_number",),
    "national_id": ("national_id",),
    "driving_licence": ("driving_licence",),
    "phones": ("phones",),
    "accounts": ("accounts",),
}

_DIALECTS = ("duckdb", "spark")
_LEARNED = ("m_probability", "u_probability")
#: level keys whose value is a chart label only: type-checked, then replaced by graphkit's
_COSMETIC = ("label_for_charts",)
#: top-level keys handled one by one below (the rest must equal graphkit's)
_SPECIAL = (
    "comparisons",
    "blocking_rules_to_generate_predictions",
    "probability_two_random_records_match",
    "sql_dialect",
    "linker_uid",
)


class _NonFinite(ValueError):
    pass


def _reject_constant(_name: str) -> float:
    raise _NonFinite


def _short_name(path: Path) -> str:
    """The file's name, printable and short: never more of the file than that."""
    name = "".join(c if c.isprintable() else "?" for c in Path(path).name)
    return name if len(name) <= 60 else name[:57] + "..."


def columns_for_names(names: Iterable[str]) -> frozenset[str]:
    """The usable-column set that makes :func:`resolution.comparisons.comparisons` produce
    the comparisons ``names`` (unknown names contribute nothing)."""
    out: set[str] = set()
    for name in names:
        out.update(COMPARISON_COLUMNS.get(name, ()))
    return frozenset(out)


def load_saved_model(path: Path) -> dict[str, Any]:
    """Read a saved Splink model and return it rebuilt by graphkit (see the module docstring).

    Raises :class:`~graphkit.errors.InputError` (one line, no file content) for anything
    graphkit did not generate.
    """
    path = Path(path)
    label = f"model file {_short_name(path)}"
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{label} not found") from None
    except OSError:
        raise InputError(f"{label} cannot be read") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{label} is not a regular file")
    if info.st_size > MAX_MODEL_BYTES:
        raise InputError(f"{label} is larger than {MAX_MODEL_BYTES // (1024 * 1024)} MB")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_MODEL_BYTES + 1)
    except OSError:
        raise InputError(f"{label} cannot be read") from None
    if len(data) > MAX_MODEL_BYTES:
        raise InputError(f"{label} is larger than {MAX_MODEL_BYTES // (1024 * 1024)} MB")
    try:
        model = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except _NonFinite:
        raise InputError(f"{label} is not a Splink JSON model: NaN or Infinity in it") from None
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError(f"{label} is not a Splink JSON model: not valid JSON") from None
    return rebuild_model(model, label=label)


def _norm(value: Any) -> Any:
    """Whitespace-insensitive form of a setting, for comparing SQL text."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    return value


# "(<halves agree>) AND (<distance> <= 1)": a within-one-edit level with its shortcut
_SHORTCUT = re.compile(
    r"\("
    + re.escape(" ".join(halves_agree_sql("COLUMN").split())).replace("COLUMN", r"\w+")
    + r"\) AND \((?P<distance>[^()]*\([^()]*\) <= 1)\)"
)


def _before_shortcut(sql: Any) -> Any:
    """A level's SQL as graphkit wrote it before the within-one-edit shortcut (issue 21):
    the distance alone. Models saved then are accepted, since the two give the same level
    for every pair (``tests/resolution/test_comparisons.py``)."""
    return _SHORTCUT.sub(r"\g<distance>", _norm(sql)) if isinstance(sql, str) else sql


def _unset(rule: dict[str, Any]) -> dict[str, Any]:
    """A rule without its unset (null) options: Splink leaves them out when it saves."""
    return {k: v for k, v in rule.items() if v is not None}


def _number(value: Any, what: str, label: str, *, open_interval: bool = False) -> float:
    """A JSON number in [0, 1] (or (0, 1)), finite; anything else refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{label}: {what} is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{label}: {what} is not finite")
    ok = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not ok:
        interval = "(0, 1)" if open_interval else "[0, 1]"
        raise InputError(f"{label}: {what} is outside {interval}")
    return float(value)


def _dict(value: Any, what: str, label: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{label}: {what} is not an object")
    return value


def _list(value: Any, what: str, label: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(f"{label}: {what} is not a list")
    return value


def _comparison_names(comparisons: list[Any], label: str) -> list[str]:
    names: list[str] = []
    for i, comp in enumerate(comparisons, start=1):
        comp = _dict(comp, f"comparison {i}", label)
        name = comp.get("output_column_name")
        if not isinstance(name, str) or name not in COMPARISON_COLUMNS:
            raise InputError(f"{label}: comparison {i} is not one graphkit generates")
        if name in names:
            raise InputError(f"{label}: comparison {name!r} appears twice")
        names.append(name)
    return names


def _check_levels(comp: dict[str, Any], ref: dict[str, Any], label: str) -> list[dict[str, Any]]:
    """The model's levels of one comparison, checked against graphkit's ``ref``."""
    name = str(ref["output_column_name"])
    extra = set(comp) - {"output_column_name", "comparison_description", "comparison_levels"}
    if extra:
        raise InputError(f"{label}: comparison {name!r} has settings graphkit does not write")
    if not isinstance(comp.get("comparison_description", ""), str):
        raise InputError(f"{label}: comparison {name!r} has a description that is not text")
    levels = _list(comp.get("comparison_levels"), f"comparison {name!r} levels", label)
    ref_levels: list[dict[str, Any]] = ref["comparison_levels"]
    if len(levels) != len(ref_levels):
        raise InputError(
            f"{label}: comparison {name!r} has {len(levels)} levels,"
            f" graphkit's has {len(ref_levels)}"
        )
    for i, (level, ref_level) in enumerate(zip(levels, ref_levels, strict=True), start=1):
        where = f"comparison {name!r} level {i}"
        level = _dict(level, where, label)
        if set(level) - set(ref_level) - set(_LEARNED):
            raise InputError(f"{label}: {where} has settings graphkit does not write")
        for key, ref_value in ref_level.items():
            if key in _COSMETIC:
                if not isinstance(level.get(key, ""), str):
                    raise InputError(f"{label}: {where} has a chart label that is not text")
            elif key not in _LEARNED and _norm(level.get(key)) not in (
                _norm(ref_value),
                _before_shortcut(ref_value) if key == "sql_condition" else None,
            ):
                raise InputError(f"{label}: {where} differs from graphkit's ({key})")
    return levels


def _rule_indices(rules: list[Any], candidates: list[dict[str, Any]], label: str) -> list[int]:
    """Positions in ``candidates`` of the model's blocking rules (each must be one of them)."""
    if not rules:
        raise InputError(f"{label}: no blocking rule (graphkit models always have some)")
    wanted = [_norm(_unset(c)) for c in candidates]
    out: list[int] = []
    for i, rule in enumerate(rules, start=1):
        norm = _norm(_unset(_dict(rule, f"blocking rule {i}", label)))
        if norm not in wanted:
            raise InputError(f"{label}: blocking rule {i} is not one graphkit generates")
        index = wanted.index(norm)
        if index in out:
            raise InputError(f"{label}: blocking rule {i} repeats an earlier rule")
        out.append(index)
    return out


def rebuild_model(
    model: Any, *, dialect: str | None = None, label: str = "the model"
) -> dict[str, Any]:
    """A model graphkit generated, rebuilt by graphkit's creator with its learned numbers.

    ``model`` is a parsed Splink JSON model (a file's, or :func:`resolution.linkage.train_model`
    output); ``dialect`` the SQL dialect to express it in (default: the model's own). Nothing
    of ``model`` but its numbers reaches the result; ``label`` prefixes error messages.
    """
    model = _dict(model, "the top level", label)
    if "comparisons" not in model:
        raise InputError(f"{label} is not a Splink JSON model: no comparisons")
    source = model.get("sql_dialect", "duckdb")
    if source not in _DIALECTS:
        raise InputError(f"{label}: SQL dialect is not duckdb or spark")
    target = source if dialect is None else dialect
    if target not in _DIALECTS:
        raise InputError(f"unknown engine dialect {target!r}: use duckdb or spark")
    comps = _list(model["comparisons"], "comparisons", label)
    if not comps:
        raise InputError(f"{label} is not a Splink JSON model: no comparisons")
    names = _comparison_names(comps, label)
    columns = columns_for_names(names)
    candidates = prediction_rule_candidates(columns)
    ref: dict[str, Any] = settings_creator(
        columns, [r for _, r in candidates]
    ).create_settings_dict(source)
    ref_names = [str(c["output_column_name"]) for c in ref["comparisons"]]
    if ref_names != names:
        raise InputError(f"{label}: comparisons are not graphkit's (names or order differ)")
    if set(model) - set(ref) - set(_SPECIAL):
        raise InputError(f"{label}: has settings graphkit does not write")
    for key, value in ref.items():
        if key not in _SPECIAL and key in model and _norm(model[key]) != _norm(value):
            raise InputError(f"{label}: setting {key} differs from graphkit's")
    if "probability_two_random_records_match" not in model:
        raise InputError(f"{label}: no probability_two_random_records_match")
    prior = _number(
        model["probability_two_random_records_match"],
        "probability_two_random_records_match",
        label,
        open_interval=True,
    )
    levels = [
        _check_levels(comp, ref_comp, label)
        for comp, ref_comp in zip(comps, ref["comparisons"], strict=True)
    ]
    rules = _list(model.get("blocking_rules_to_generate_predictions"), "blocking rules", label)
    chosen = _rule_indices(rules, ref["blocking_rules_to_generate_predictions"], label)

    out: dict[str, Any] = settings_creator(
        columns, [candidates[i][1] for i in chosen]
    ).create_settings_dict(target)
    out["probability_two_random_records_match"] = prior
    out["sql_dialect"] = target
    out.pop("linker_uid", None)
    for name, comp_levels, out_comp in zip(names, levels, out["comparisons"], strict=True):
        for i, (level, out_level) in enumerate(
            zip(comp_levels, out_comp["comparison_levels"], strict=True), start=1
        ):
            for key in _LEARNED:
                value = level.get(key)
                if value is not None:
                    out_level[key] = _number(value, f"comparison {name!r} level {i} {key}", label)
    return out
