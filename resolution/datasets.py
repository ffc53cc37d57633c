"""Loaders turning the public ER benchmark datasets into person records frames with truth.

The files are Splink's datasets (MIT licence) and the FEBRL sets (Christen, 2008) as shipped in
``shared/data/er``; see its README. Each loader returns a person records frame (see
:mod:`resolution.standardise`) with an extra ``truth`` column, the true entity.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from graphkit.errors import InputError

__all__ = ["load_fake_1000", "load_febrl3", "load_febrl4", "load_historical_50k"]


def _need(path: Path) -> Path:
    if not path.is_file():
        raise InputError(f"dataset file not found: {path}")
    return path


def _febrl(path: Path, source: str) -> pd.DataFrame:
    raw = pd.read_csv(_need(path), sep=",", skipinitialspace=True, dtype=str)
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw.apply(lambda s: s.str.strip())
    address = (raw["street_number"].fillna("") + " " + raw["address_1"].fillna("")).str.strip()
    return pd.DataFrame(
        {
            "unique_id": raw["rec_id"],
            "source": source,
            "first_name": raw["given_name"],
            "last_name": raw["surname"],
            "dob": raw["date_of_birth"],
            "address": address.replace("", None),
            "postcode": raw["postcode"],
            "city": raw["suburb"],
            "id_number": raw["soc_sec_id"],
            "truth": raw["rec_id"].str.extract(r"rec-(\d+)-", expand=False),
        }
    )


def load_febrl3(er_dir: Path) -> pd.DataFrame:
    """FEBRL 3: 5,000 records to deduplicate (true entity = the number in ``rec_id``)."""
    return _febrl(er_dir / "febrl" / "dataset3.csv", "febrl3")


def load_febrl4(er_dir: Path) -> pd.DataFrame:
    """FEBRL 4: dataset4a and dataset4b (5,000 records each, 5,000 true links), stacked."""
    a = _febrl(er_dir / "febrl" / "dataset4a.csv", "febrl4a")
    b = _febrl(er_dir / "febrl" / "dataset4b.csv", "febrl4b")
    return pd.concat([a, b], ignore_index=True)


def load_fake_1000(er_dir: Path) -> pd.DataFrame:
    """fake_1000: 1,000 synthetic person records with their true ``cluster``."""
    raw = pd.read_csv(_need(er_dir / "fake_1000.csv"), dtype=str)
    return pd.DataFrame(
        {
            "unique_id": raw["unique_id"],
            "source": "fake_1000",
            "first_name": raw["first_name"],
            "last_name": raw["surname"],
            "dob": raw["dob"],
            "city": raw["city"],
            "email": raw["email"],
            "truth": raw["cluster"],
        }
    )


def load_historical_50k(er_dir: Path) -> pd.DataFrame:
    """historical_figures_with_errors_50k: 50,578 records of 5,156 people (Wikidata)."""
    raw = pd.read_parquet(_need(er_dir / "historical_figures_with_errors_50k.parquet"))
    return pd.DataFrame(
        {
            "unique_id": raw["unique_id"].astype(str),
            "source": "historical",
            "first_name": raw["first_name"],
            "last_name": raw["surname"],
            "full_name": raw["full_name"],
            "dob": raw["dob"],
            "city": raw["birth_place"],
            "postcode": raw["postcode_fake"],
            "gender": raw["gender"],
            "occupation": raw["occupation"],
            "truth": raw["cluster"].astype(str),
        }
    )
