"""Planted noise: each tagged record shows exactly its noise, untagged records are clean, and
the rates recounted from the files are within 10% of the configured ones."""

from __future__ import annotations

from pathlib import Path

import jellyfish
import pandas as pd
import pytest

from graphkit.simulate import names as vocab
from tests.simulate.conftest import SMALL, ParsedCdr

_TRANSLIT = {n: set(g) for g in vocab.TRANSLITERATIONS for n in g}

# source -> (delimiter, encoding, first, last or None (full name), dob, dob is d/m/Y)
LAYOUT = {
    "opA_subscribers": (",", "utf-8", "Forename", "Surname", "DateOfBirth", True),
    "opB_subscribers": ("|", "utf-8", "full_name", None, "birth_date", False),
    "police_persons": (";", "latin-1", "Forenames", "Surname", "DOB", True),
    "bank_accounts": (",", "utf-8", "HolderName", None, "DateOfBirth", False),
}


def _records(small_case: Path, truth: dict[str, pd.DataFrame], source: str) -> pd.DataFrame:
    delimiter, encoding, first, last, dob, dmy = LAYOUT[source]
    frame = pd.read_csv(
        small_case / "sources" / f"{source}.csv",
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        encoding=encoding,
    )
    frame = frame.rename(columns={frame.columns[0]: "record_id"})
    if last is None:
        parts = frame[first].str.split(" ", n=1, expand=True).reindex(columns=[0, 1])
        frame["first"], frame["last"] = parts[0].fillna(""), parts[1].fillna("")
    else:
        frame["first"], frame["last"] = frame[first], frame[last]
    raw = frame[dob]
    if dmy:
        full = raw.str.len() == 10
        raw = raw.where(~full, raw.str[6:10] + "-" + raw.str[3:5] + "-" + raw.str[0:2])
    frame["dob_iso"] = raw
    records = truth["records"][truth["records"]["source"] == source]
    identities = pd.concat(
        [
            truth["persons"].rename(columns={"person_id": "identity_id"}),
            truth["fake_identities"],
        ]
    )[["identity_id", "first_name", "last_name", "dob"]]
    merged = frame.merge(records, on="record_id").merge(identities, on="identity_id", how="left")
    assert len(merged) == len(frame) == len(records)
    return merged[merged["identity_id"].str.match(r"^[PF]")]


def _name_ok(row: pd.Series) -> bool:
    first, last, tf, tl = row["first"], row["last"], row["first_name"], row["last_name"]
    tags = set(filter(None, row["noise"].split(";")))
    if "swapped_name_order" in tags:
        return (first, last) == (tl, tf)
    if "nickname" in tags:
        return last == tl and first in vocab.NICKNAMES[tf]
    if "transliteration" in tags:
        return (first == tf and last in _TRANSLIT[tl] - {tl}) or (
            last == tl and first in _TRANSLIT[tf] - {tf}
        )
    if "name_typo" in tags:
        d_first = jellyfish.damerau_levenshtein_distance(first.lower(), tf.lower())
        d_last = jellyfish.damerau_levenshtein_distance(last.lower(), tl.lower())
        return sorted((d_first, d_last)) == [0, 1]
    return (first, last) == (tf, tl)


def _dob_ok(row: pd.Series) -> bool:
    tags = row["noise"].split(";")
    if "dob_missing" in tags:
        return row["dob_iso"] == ""
    if "dob_partial" in tags:
        return len(row["dob_iso"]) in (4, 7) and row["dob"].startswith(row["dob_iso"])
    return bool(row["dob_iso"] == row["dob"])


@pytest.mark.parametrize("source", sorted(LAYOUT))
def test_tagged_noise_is_what_the_file_shows(
    small_case: Path, truth: dict[str, pd.DataFrame], source: str
) -> None:
    records = _records(small_case, truth, source)
    bad_names = records[~records.apply(_name_ok, axis=1)]
    assert bad_names.empty, bad_names[["record_id", "first", "last", "first_name", "noise"]]
    bad_dobs = records[~records.apply(_dob_ok, axis=1)]
    assert bad_dobs.empty, bad_dobs[["record_id", "dob_iso", "dob", "noise"]]


def test_record_noise_rates_within_ten_percent(
    small_case: Path, truth: dict[str, pd.DataFrame]
) -> None:
    configured = SMALL.noise.to_dict()
    records = pd.concat([_records(small_case, truth, s) for s in LAYOUT])
    tags = records["noise"].str.split(";").explode()
    counts = tags[tags != ""].value_counts()
    base_named = len(records)
    for kind in ("name_typo", "nickname", "transliteration", "swapped_name_order"):
        assert counts[kind] / base_named == pytest.approx(configured[kind], rel=0.10), kind
    for kind in ("dob_missing", "dob_partial", "address_variant"):
        assert counts[kind] / base_named == pytest.approx(configured[kind], rel=0.10), kind


def test_cdr_noise_rates_within_ten_percent(
    truth: dict[str, pd.DataFrame], parsed_cdr: ParsedCdr
) -> None:
    configured = SMALL.noise.to_dict()
    events = len(parsed_cdr.events) - sum(parsed_cdr.duplicates.values())
    rows = events + len(parsed_cdr.rejected)
    malformed = len(parsed_cdr.rejected) / rows
    duplicates = sum(parsed_cdr.duplicates.values()) / rows
    assert malformed == pytest.approx(configured["cdr_malformed"], rel=0.10)
    assert duplicates == pytest.approx(configured["cdr_duplicate"], rel=0.10)
    noise = truth["noise"]
    realised = noise[noise["noise"] == "cdr_duplicate"]
    assert realised["realised"].astype(float).between(0.0018, 0.0022).all()


def test_configured_rates_change_the_output(tmp_path: Path) -> None:
    from dataclasses import replace

    from graphkit.simulate import NoiseSpec, SimulationSpec, simulate

    spec = SimulationSpec(seed=3, people=300, days=14, groups=1, noise=NoiseSpec(name_typo=0.3))
    simulate(tmp_path / "a", spec=spec)
    noise = pd.read_csv(tmp_path / "a" / "truth" / "noise.csv")
    typo = noise[noise["noise"] == "name_typo"]
    assert typo["realised"].between(0.27, 0.33).all()
    with pytest.raises(Exception, match="name_typo"):
        replace(spec, noise=NoiseSpec(name_typo=1.5))
