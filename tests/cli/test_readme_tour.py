"""The README tour runs, line by line and in order, on the case its first line simulates.

Every ``graphkit`` command of the tour's code block (README.md, "A tour") runs from a fresh
folder that holds what the tour reads from the repository (``docs/``), as a user runs it
from the repository root: each must exit 0 and print no traceback and no warning. The names,
phones and review id the tour quotes must therefore exist in that case (an unknown name or
id is a one-line error, exit 2). The tour also claims that the accepted hand-off makes its two
numbers one actor: the actor card printed after it is checked for both.

The commands run in one child process through the console script's entry point
(``graphkit.cli.app.main``), each with its own stdout and stderr (file descriptors, so
library output written below Python is caught too) and Python's default warning filters:
what a terminal would show. One process rather than one per command: importing the CLI's
dependencies costs about 1.3 s of CPU per command, a third of the tour's budget.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.test_readme import README, block_lines

REPO_ROOT = Path(__file__).resolve().parents[2]
_NOISE = re.compile(
    r"Traceback \(most recent call last\)|\b[A-Z]\w*Warning\b|^\s*(WARNING|warning)\b",
    re.MULTILINE,
)
_TIMEOUT_S = 600


def tour_lines(text: str) -> list[str]:
    """The tour's command lines (the first ``sh`` block under "## A tour"), in order."""
    section = text.split("\n## A tour", 1)[1]
    block = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    return block_lines(f"```sh\n{block}\n```\n")


def _drive(workdir: Path, lines: list[str]) -> None:
    """Child process: run each line through ``main`` in ``workdir``; results as JSON."""
    import resource
    import warnings

    from graphkit.cli.app import main

    warnings.resetwarnings()  # the interpreter's defaults, as on a terminal
    os.chdir(workdir)
    results = []
    for number, line in enumerate(lines):
        out_path, err_path = workdir / f".tour-{number}.out", workdir / f".tour-{number}.err"
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        with out_path.open("wb") as out, err_path.open("wb") as err:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            sys.argv = ["graphkit", *shlex.split(line)[1:]]
            started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
            code: object = 0
            try:
                main()
            except SystemExit as exc:
                code = exc.code
            except BaseException:  # a crash is a result here: its traceback is on stderr
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os.dup2(saved[0], 1)
                os.dup2(saved[1], 2)
        used = resource.getrusage(resource.RUSAGE_SELF)
        rc = code if isinstance(code, int) else (0 if code is None else 1)
        results.append(
            {
                "line": line,
                "rc": rc,
                "wall_s": round(time.perf_counter() - started, 2),
                "cpu_s": round(used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime, 2),
                "stdout": out_path.read_text(encoding="utf-8", errors="replace"),
                "stderr": err_path.read_text(encoding="utf-8", errors="replace"),
            }
        )
        if rc != 0:
            break
    (workdir / ".tour.json").write_text(json.dumps(results), encoding="utf-8")


def run_tour(workdir: Path) -> list[dict[str, object]]:
    """Run the README tour in ``workdir`` (a child process); one result per command run."""
    (workdir / "docs").symlink_to(REPO_ROOT / "docs", target_is_directory=True)
    lines = tour_lines(README.read_text(encoding="utf-8"))
    path = [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path)}
    env.pop("COLUMNS", None)
    env["PYTHONWARNINGS"] = ""
    subprocess.run(
        [sys.executable, __file__, str(workdir), json.dumps(lines)],
        check=True,
        cwd=workdir,
        env=env,
        timeout=_TIMEOUT_S,
    )
    results: list[dict[str, object]] = json.loads((workdir / ".tour.json").read_text())
    return results


def test_the_readme_tour_runs_line_by_line(tmp_path: Path) -> None:
    lines = tour_lines(README.read_text(encoding="utf-8"))
    assert lines[0].startswith("graphkit simulate ") and len(lines) >= 25
    results = run_tour(tmp_path)
    for result in results:
        stdout, stderr = str(result["stdout"]), str(result["stderr"])
        assert result["rc"] == 0, f"{result['line']}: exit {result['rc']}\n{stderr[-2000:]}"
        noise = _NOISE.search(stdout) or _NOISE.search(stderr)
        assert noise is None, f"{result['line']}: prints {noise.group(0)!r}\n{stderr[-2000:]}"
    assert [r["line"] for r in results] == lines  # every line ran

    by_line = {str(r["line"]): str(r["stdout"]) for r in results}
    card = next(out for line, out in by_line.items() if " actor " in line)
    accepted = next(line for line in lines if "--accept" in line)
    assert "+447787369458" in card and "+447953241219" in card, (
        f"after `{accepted}` the actor card does not hold both numbers"
    )
    assert "confirmed" in card
    # what a user reads stays short: the analysis summary without timings, long lists cut
    analysis = next(out for line, out in by_line.items() if line.endswith(" analyze cases/sim"))
    assert "modularity" in analysis and "seconds_by_part" not in analysis
    scenes = next(out for line, out in by_line.items() if " scenes " in line)
    # phones quiet during a scene are counted, not listed: no test makes them evidence
    assert "which alone is not evidence (--silent lists them)" in scenes
    assert len(scenes.splitlines()) < 150


if __name__ == "__main__":  # the child process of run_tour
    _drive(Path(sys.argv[1]), json.loads(sys.argv[2]))
