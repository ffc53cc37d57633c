"""Kill -9 at seeded points of every command that changes a case; the case must heal.

For each stage: a clean run on a fresh copy gives the duration and the tables; each test copies
the stage's snapshot, SIGKILLs the command's process group after a seeded fraction of that
duration, lets the next command recover, re-runs the command and checks the invariants in
:func:`tests.store.faults.check_after_kill`. Each stage's reference run
is made once per run, shared by the xdist workers through a lock file.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from tests.store.faults import (
    STAGES,
    Base,
    base_cases,
    kill_and_check,
    kill_delays,
    reference,
    shared_root,
)

pytestmark = pytest.mark.slow  # about 180-250 CPU seconds: deselect with -m 'not slow'

#: Kill points per stage (bench/faults.py runs more): GRAPHKIT_FAULT_KILLS to change.
KILLS = int(os.environ.get("GRAPHKIT_FAULT_KILLS", "5"))


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    return base_cases(shared_root(tmp_path_factory))


#: Longest first, so that the two workers end together.
ORDER = ("predict-links", "analyze", "resolve", "report", "ingest", "build", "export")


@pytest.mark.parametrize(("stage_name", "point"), [(n, k) for n in ORDER for k in range(KILLS)])
def test_kill_at_any_point_heals(base: Base, stage_name: str, point: int, tmp_path: Path) -> None:
    stage = STAGES[stage_name]
    ref = reference(base, stage)
    delay = kill_delays(ref.seconds, KILLS, seed=zlib.crc32(stage_name.encode()))[point]
    killed, check = kill_and_check(base, stage, tmp_path, delay, ref)
    if check.problems:
        pytest.fail(
            f"`{killed.cmdline}` SIGKILLed after {delay:.2f}s of {ref.seconds:.2f}s "
            f"(killed={killed.killed}, dangling intents={check.dangling_before}, "
            f"recovery said {check.recovery_stderr!r}):\n  " + "\n  ".join(check.problems),
            pytrace=False,
        )
