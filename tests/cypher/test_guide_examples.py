"""The Browser guide's examples name people and numbers the demo case has (issue 18): an
investigator who follows it on `make demo` gets rows, not an empty result."""

from __future__ import annotations

import csv
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

from graphkit.publish.paths import cypher_dir

PARAM = re.compile(r"^:param (\w+) => (.+)$", re.M)


@pytest.fixture(scope="module")
def demo_truth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's simulated world: `graphkit demo`'s own defaults, its simulate step."""
    from graphkit.cli.demo import demo

    defaults = {n: p.default for n, p in inspect.signature(demo).parameters.items()}
    out = tmp_path_factory.mktemp("demo") / "sim"
    args = ["simulate", str(out), "--people", str(defaults["people"])]
    args += ["--days", str(defaults["days"]), "--seed", str(defaults["seed"])]
    args += ["--meetings", "--devices"]
    done = subprocess.run(
        [sys.executable, "-m", "graphkit", *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return out / "truth"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_guide_examples_exist_in_the_demo(demo_truth: Path) -> None:
    guide = (cypher_dir() / "browser" / "GUIDE.md").read_text(encoding="utf-8")
    params = dict(PARAM.findall(guide))
    assert {"text", "msisdn", "msisdns"} <= set(params)
    persons = _rows(demo_truth / "persons.csv")
    phones = _rows(demo_truth / "phones.csv")
    words = params["text"].strip("'").lower().split()
    found = [
        p
        for p in persons
        if all(
            any(part.lower().startswith(w) for part in (p["first_name"], p["last_name"]))
            for w in words
        )
    ]
    assert len(found) == 1, found  # the text finds one person: the boss the guide speaks of
    (boss,) = found
    assert boss["rank"] == "boss"
    # his own numbers (a household landline he shares is not his to list)
    his = {
        r["msisdn"]
        for r in phones
        if r["person_id"] == boss["person_id"] and r.get("shared") != "true"
    }
    listed = re.findall(r"'(\+\d+)'", params["msisdns"])
    assert len(listed) == 2 and set(listed) == his  # his phone and his burner
    assert params["msisdn"].strip("'") in his
    start = _rows(demo_truth / "phones.csv")[0]["valid_from"][:10]
    assert "the demo runs from 8 January 2024" in guide and start == "2024-01-08"
