"""Twelve graphkit commands on one case at once: they queue on the case lock, lose nothing.

A mix of readers (``show``, ``review --queue``), changes (``build``, ``ingest`` of distinct
small files) and ``report --out`` starts together on one analysed case. Each must exit 0, or 2
with one line (a refusal, such as waiting too long for the lock); then every source and stage
record of the commands that succeeded is in the manifest, every intent has its outcome and
``graphkit audit verify`` exits 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.faults import (
    Base,
    base_cases,
    chain_problems,
    dangling,
    finish,
    fresh_case,
    graphkit,
    manifest,
    shared_root,
    start,
)


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    return base_cases(shared_root(tmp_path_factory))


def test_twelve_concurrent_commands_lose_nothing(base: Base, tmp_path: Path) -> None:
    case = fresh_case(base, "analyzed", tmp_path / "case")
    out = tmp_path / "out"
    out.mkdir()
    commands: list[tuple[str, list[str | Path]]] = []
    for n in (1, 2, 3):
        path, mapping = base.extra_cdr(n)
        commands.append(
            (
                f"ingest-{n}",
                [
                    "ingest",
                    case,
                    path,
                    "--kind",
                    "cdr",
                    "--mapping",
                    mapping,
                    "--source-name",
                    f"slice_{n}",
                ],
            )
        )
    commands += [
        ("build-1", ["build", case]),
        ("build-2", ["build", case]),
        ("show-1", ["show", case, "summary"]),
        ("show-2", ["show", case, "leaders"]),
        ("show-3", ["show", case, "summary", "--json"]),
        ("review-1", ["review", case, "--queue", "pairs"]),
        ("review-2", ["review", case, "--queue", "handoffs"]),
        ("report-1", ["report", case, "--format", "md", "--out", out / "r1.md"]),
        ("report-2", ["report", case, "--out", out / "r2.html"]),
    ]
    assert len(commands) == 12
    running = [(name, start(*args)) for name, args in commands]
    results = {name: finish(proc, timeout=300) for name, proc in running}

    problems = []
    for name, r in results.items():
        said = [ln for ln in r.stderr.splitlines() if ln.strip()]
        if r.rc == 2:
            if len(said) != 1:
                problems.append(f"{name}: refused (exit 2) with {len(said)} lines: {said[:4]}")
        elif r.rc != 0:
            problems.append(f"`{r.cmdline}` exited {r.rc}: {said[-3:]}")
    ok = {name for name, r in results.items() if r.rc == 0}
    m = manifest(case)
    for n in (1, 2, 3):
        if f"ingest-{n}" in ok and f"slice_{n}" not in m.get("sources", {}):
            problems.append(f"ingest-{n} exited 0 but sources.slice_{n} is not in the manifest")
        if results[f"ingest-{n}"].rc != 0 and f"slice_{n}" in m.get("sources", {}):
            problems.append(f"ingest-{n} was refused but sources.slice_{n} is in the manifest")
    if ok & {"build-1", "build-2"} and "build" not in m.get("stages", {}):
        problems.append("build exited 0 but stages.build is not in the manifest")
    for name, file in (("report-1", "r1.md"), ("report-2", "r2.html")):
        if name in ok and not (out / file).is_file():
            problems.append(f"{name} exited 0 but {file} is missing")
    hidden = sorted(p.name for p in out.iterdir() if p.name.startswith("."))
    if hidden:
        problems.append(f"temporary files left in the output folder: {hidden}")
    problems += chain_problems(case)
    if left := dangling(case):
        problems.append(f"{len(left)} intents without an outcome after all commands ended")
    verify = graphkit("audit", "verify", case)
    if verify.rc != 0:
        problems.append(f"`{verify.cmdline}` exited {verify.rc}: {verify.stdout}{verify.stderr}")
    exits = ", ".join(f"{name}={r.rc}" for name, r in results.items())
    assert not problems, f"exits: {exits}\n" + "\n".join(problems)
    assert len(ok) >= 6, f"only {sorted(ok)} succeeded; the rest were refused"
