"""Same seed and arguments -> byte-identical files; other seed -> other files; components draw
from separate streams, so changing record noise leaves the CDRs untouched."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphkit.errors import InputError
from graphkit.simulate import NoiseSpec, SimulationSpec, simulate

TINY = SimulationSpec(seed=5, people=300, days=14, groups=1)


def _digests(out: Path) -> dict[str, str]:
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    simulate(tmp_path / "a", spec=TINY)
    simulate(tmp_path / "b", spec=TINY)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert len(a) >= 30
    assert a == b


def test_other_seed_other_bytes(tmp_path: Path) -> None:
    simulate(tmp_path / "a", spec=TINY)
    simulate(tmp_path / "b", spec=SimulationSpec(seed=6, people=300, days=14, groups=1))
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    for name in ("sources/opA_cdr.csv", "sources/opB_subscribers.csv", "truth/persons.csv"):
        assert a[name] != b[name]


def test_record_noise_does_not_shift_the_cdrs(tmp_path: Path) -> None:
    simulate(tmp_path / "a", spec=TINY)
    other = SimulationSpec(seed=5, people=300, days=14, groups=1, noise=NoiseSpec(nickname=0.2))
    simulate(tmp_path / "b", spec=other)
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a["sources/opA_cdr.csv"] == b["sources/opA_cdr.csv"]
    assert a["sources/opA_subscribers.csv"] != b["sources/opA_subscribers.csv"]


def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="not empty"):
        simulate(tmp_path, spec=TINY)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"people": 10}, "people"),
        ({"days": 3}, "days"),
        ({"groups": 0}, "groups"),
        ({"groups": 40, "people": 300}, "do not fit"),
        ({"scale": 0.0}, "scale"),
        ({"hidden_tie_share": 1.5}, "hidden_tie_share"),
    ],
)
def test_invalid_specs_are_input_errors(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        SimulationSpec(**kwargs)  # type: ignore[arg-type]


def test_same_bytes_in_another_process_with_another_hash_seed(tmp_path: Path) -> None:
    """Nothing depends on set or dict hashing order (PYTHONHASHSEED) or on the process."""
    import os
    import subprocess
    import sys

    simulate(tmp_path / "a", spec=TINY)
    code = (
        "import sys; from pathlib import Path; "
        "from graphkit.simulate import SimulationSpec, simulate; "
        "simulate(Path(sys.argv[1]), spec=SimulationSpec(seed=5, people=300, days=14, groups=1))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "b")], check=True, env=env)
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    people=st.integers(100, 100_000),
    days=st.integers(14, 400),
    scale=st.floats(0.01, 100.0),
    typo=st.floats(0.0, 1.0),
    start=st.dates(dt.date(2000, 1, 1), dt.date(2040, 1, 1)),
)
def test_spec_round_trips_through_its_dict(
    seed: int, people: int, days: int, scale: float, typo: float, start: dt.date
) -> None:
    spec = SimulationSpec(
        seed=seed,
        people=people,
        days=days,
        groups=1,
        scale=scale,
        start_date=start,
        noise=NoiseSpec(name_typo=typo),
    )
    data = json.loads(json.dumps(spec.to_dict()))
    assert SimulationSpec.from_dict(data) == spec


def test_parameters_json_rebuilds_the_case(tmp_path: Path) -> None:
    simulate(tmp_path / "a", spec=TINY)
    data = json.loads((tmp_path / "a" / "truth" / "parameters.json").read_text())
    assert SimulationSpec.from_dict(data) == TINY
    with pytest.raises(InputError, match="unknown simulation parameters: colour"):
        SimulationSpec.from_dict({**data, "colour": "red"})
