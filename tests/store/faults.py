"""Fault-injection harness for the case store's write path (used by tests and bench/faults.py).

Every command that changes a case goes through one write path: an audit *intent* entry
(outcome ``started``, ``detail.tx``) before any work, an *outcome* entry (``success`` /
``failure``, same ``tx``) after the commit, manifest stage and source records carrying the same
``tx``. After a ``kill -9`` at any moment the next command that opens the case recovers
(``interrupted``, or ``success`` rolled forward) and the case is whole again.

The harness:

* :func:`base_cases` builds a tiny simulated case once (shared by xdist workers through a
  lock file) and keeps a snapshot after each stage; :func:`fresh_case` copies one per test;
* :func:`run_killed` starts a real ``graphkit`` process (its own process group) and SIGKILLs
  the whole group after a delay; :func:`kill_delays` spreads seeded delays over the command's
  clean duration;
* :func:`check_after_kill` recovers and checks every invariant, returning the list of
  violations (empty when the case is whole).

Everything runs the CLI as a subprocess (``python -m graphkit``) from this repository.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import pickle
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
GRAPHKIT = [sys.executable, "-m", "graphkit"]

#: Size of the simulated case: small enough that each command takes about 1-4 s.
SIM_ARGS = ["--people", "100", "--days", "14", "--groups", "1", "--scale", "0.3"]
ANALYZE_FAST = ["--runs", "1", "--null-draws", "5"]
PREDICT_FAST = ["--epochs", "2", "--top", "5"]
#: How the stages that make the snapshots are run (after the case directory).
STAGE_ARGS = {
    "resolve": ["resolve"],
    "build": ["build"],
    "analyze": ["analyze", *ANALYZE_FAST],
    "predict-links": ["predict-links", *PREDICT_FAST],
}

#: Snapshots kept by :func:`base_cases`, in pipeline order: each is the previous plus a command.
SNAPSHOTS = ("ingested", "resolved", "built", "analyzed", "predicted")
#: The stage whose clean run made each snapshot (from the one before it).
STAGES_BY_SNAPSHOT = {
    "resolved": "resolve",
    "built": "build",
    "analyzed": "analyze",
    "predicted": "predict-links",
}

#: A plain reader that must recover a killed command's case (any command but ``audit verify``
#: must): tested once (test_faults.py), the kill points let the re-run recover.
DEFAULT_PROBE = ("status",)

#: The write path's commit records (graphkit.store.case): one row between commit and apply.
JOURNAL = "graphkit_journal"

#: Columns left out of table comparisons: when a row was written, not what it says.
TIME_COLUMNS = frozenset(
    {
        "ran_at",
        "decided_at",
        "created_at",
        "ingested_at",
        "updated_at",
        "saved_at",
        "started_at",
        "finished_at",
        "trained_at",
        "computed_at",
        "generated_at",
    }
)


# -- running the CLI --------------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    """A finished command: exit status, output and wall time; ``killed`` when SIGKILLed."""

    args: tuple[str, ...]
    rc: int
    stdout: str
    stderr: str
    seconds: float
    killed: bool = False
    #: seconds from the start to the command's first write to the watched case (see :func:`cli`)
    first_write: float | None = None

    @property
    def cmdline(self) -> str:
        return "graphkit " + " ".join(self.args)

    def stderr_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.strip()]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    env.setdefault("GRAPHKIT_ACTOR", "fault-harness")
    env["COLUMNS"] = "200"
    env["NO_COLOR"] = "1"
    env["TERM"] = "dumb"
    # keep numeric libraries to one thread each: two xdist workers share two cores
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "1")
    return env


def graphkit(*args: str | Path, timeout: float = 300) -> Result:
    """Run ``graphkit ARGS`` to the end: forked by this thread's fork server (a real process
    doing the real command, without the interpreter start-up), or ``python -m graphkit``
    when GRAPHKIT_FAULT_FORK=0."""
    if fork_server() is not None:
        return cli(*args, timeout=timeout)
    argv = tuple(str(a) for a in args)
    started = time.perf_counter()
    proc = subprocess.run(
        [*GRAPHKIT, *argv],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO_ROOT,
        timeout=timeout,
        check=False,
    )
    return Result(argv, proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)


def start(*args: str | Path) -> tuple[tuple[str, ...], subprocess.Popen[str], float]:
    """Start ``graphkit ARGS`` in its own process group (for :func:`run_killed`, concurrency)."""
    argv = tuple(str(a) for a in args)
    proc = subprocess.Popen(
        [*GRAPHKIT, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=REPO_ROOT,
        start_new_session=True,
    )
    return argv, proc, time.perf_counter()


def finish(
    started: tuple[tuple[str, ...], subprocess.Popen[str], float], timeout: float = 300
) -> Result:
    argv, proc, t0 = started
    out, err = proc.communicate(timeout=timeout)
    return Result(argv, proc.returncode, out, err, time.perf_counter() - t0)


# -- a fork server: the command's own process, without its start-up ------------------------
#: Modules a command imports when it runs (the CLI imports the rest): imported once by the
#: fork server, so that each command it forks starts at its real work. Missing ones are skipped.
PRELOAD = (
    "graphkit.cli.app",
    "graphkit.store",
    "graphkit.ingest",
    "graphkit.build",
    "graphkit.pipeline",
    "graphkit.report",
    "graphkit.export",
    "graphkit.simulate",
    "resolution.stage",
    "gnn.stage",
    "splink",
    "igraph",
    "torch",
)


def _serve() -> None:
    """The fork server (``python -c 'from tests.store.faults import _serve; _serve()'``).

    Reads one JSON request a line on stdin, answers one JSON line on stdout:
    ``{"run": [ARGS], "out": PATH, "err": PATH}`` forks a child that runs ``graphkit ARGS`` in
    its own process group (stdout/stderr to the files) and answers ``{"pid": PID}``;
    ``{"poll": PID}`` answers ``{"rc": RC}`` (None while it runs; -N when killed by signal N);
    ``{"wait": PID}`` waits for it. The child is a real process doing the real command; only
    the interpreter start-up and imports it would repeat are done once, here.
    """
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the command itself will say what is wrong
            print(f"fork server: cannot preload {name}: {exc!r}", file=sys.stderr, flush=True)
    requests, replies = sys.stdin, sys.stdout
    for line in requests:
        req = json.loads(line)
        reply: dict[str, Any]
        if "run" in req:
            pid = os.fork()
            if pid == 0:  # the command
                _child(req)
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)
            reply = {"pid": pid}
        else:
            pid = int(req.get("poll") or req["wait"])
            done, status = os.waitpid(pid, os.WNOHANG if "poll" in req else 0)
            reply = {"rc": os.waitstatus_to_exitcode(status) if done else None}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def _child(req: dict[str, Any]) -> None:
    """In a forked child of :func:`_serve`: run the command as ``python -m graphkit`` would,
    in its own process group, then exit (never returns to the server's loop)."""
    import atexit
    import traceback

    code = 1
    try:
        os.setpgid(0, 0)
        write = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, req["out"], write),
            (2, req["err"], write),
        ):
            opened = os.open(path, flags, 0o644)
            os.dup2(opened, fd)
            os.close(opened)
        sys.argv = ["graphkit", *req["run"]]
        from graphkit.cli.app import main

        try:
            main()
            code = 0
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
        atexit._run_exitfuncs()
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class _ForkServer:
    """A client of one :func:`_serve` process (one per thread that runs commands)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        scratch.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from tests.store.faults import _serve; _serve()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(scratch / "server.log").open("ab"),
            text=True,
            env=cli_env(),
            cwd=REPO_ROOT,
        )
        self.count = 0

    def ask(self, **req: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            log = (self.scratch / "server.log").read_text("utf-8", "replace")[-2000:]
            raise RuntimeError(f"the fork server died:\n{log}")
        return dict(json.loads(line))


_SERVERS: dict[tuple[int, int], _ForkServer] = {}


def fork_server() -> _ForkServer | None:
    """This thread's fork server; None when GRAPHKIT_FAULT_FORK=0 (plain ``python -m``)."""
    if os.environ.get("GRAPHKIT_FAULT_FORK", "1") == "0":
        return None
    import tempfile
    import threading

    key = (os.getpid(), threading.get_ident())
    if key not in _SERVERS:
        if not _SERVERS:
            atexit.register(_stop_servers)
        _SERVERS[key] = _ForkServer(Path(tempfile.mkdtemp(prefix="graphkit-forks-")))
    return _SERVERS[key]


def _stop_servers() -> None:
    """At exit: end this process's fork servers and remove their scratch folders."""
    for key, server in list(_SERVERS.items()):
        if key[0] != os.getpid():  # a forked child's copy of the parent's table
            continue
        with contextlib.suppress(Exception):
            assert server.proc.stdin is not None
            server.proc.stdin.close()
            server.proc.wait(timeout=10)
        shutil.rmtree(server.scratch, ignore_errors=True)
        del _SERVERS[key]


class _Running:
    """One running command: forked by the fork server, or a plain ``python -m graphkit``."""

    def __init__(self, argv: tuple[str, ...]) -> None:
        self.argv = argv
        self.server = fork_server()
        self.t0 = time.perf_counter()
        if self.server is None:
            self.popen: subprocess.Popen[str] | None = subprocess.Popen(
                [*GRAPHKIT, *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=cli_env(),
                cwd=REPO_ROOT,
                start_new_session=True,
            )
            self.pid = self.popen.pid
            return
        self.popen = None
        self.server.count += 1
        stem = self.server.scratch / f"cmd{self.server.count}"
        self.out, self.err = stem.with_suffix(".out"), stem.with_suffix(".err")
        self.pid = int(self.server.ask(run=list(argv), out=str(self.out), err=str(self.err))["pid"])
        self.rc: int | None = None

    def poll(self) -> int | None:
        if self.popen is not None:
            return self.popen.poll()
        if self.rc is None:
            assert self.server is not None
            self.rc = self.server.ask(poll=self.pid)["rc"]
        return self.rc

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)

    def finish(self, timeout: float, **extra: Any) -> Result:
        if self.popen is not None:
            try:
                out, err = self.popen.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise
            rc = self.popen.returncode
        else:
            assert self.server is not None
            if self.rc is None:
                self.rc = self.server.ask(wait=self.pid)["rc"]
            rc = self.rc
            out = self.out.read_text("utf-8", "replace")
            err = self.err.read_text("utf-8", "replace")
            self.out.unlink(missing_ok=True)
            self.err.unlink(missing_ok=True)
        return Result(self.argv, int(rc or 0), out, err, time.perf_counter() - self.t0, **extra)


def _case_state(case: Path | None) -> tuple[int, int]:
    """What changes when a command starts writing the case: the audit log's size, the manifest's
    inode (it is replaced, never rewritten in place)."""
    if case is None:
        return (0, 0)
    try:
        return ((case / "audit.jsonl").stat().st_size, (case / "manifest.json").stat().st_ino)
    except FileNotFoundError:
        return (-1, -1)


def cli(
    *args: str | Path,
    case: Path | None = None,
    kill_after: float | None = None,
    timeout: float = 300,
) -> Result:
    """Run ``graphkit ARGS`` through the fork server (see :func:`fork_server`).

    ``case``: watch it, and record in ``Result.first_write`` when the command first wrote to
    it (its intent: the manifest's ``audit_pending``, then the audit line). ``kill_after``:
    SIGKILL the command's process group that many seconds after that first write
    (``killed`` False when it ended by itself first, or never wrote).
    """
    argv = tuple(str(a) for a in args)
    before = _case_state(case)
    running = _Running(argv)
    first: float | None = None
    killed = False
    deadline = running.t0 + timeout
    polled = 0.0  # asking whether the command ended costs a round trip: every 20 ms at most
    while case is not None or kill_after is not None:
        now = time.perf_counter()
        if now - polled >= 0.02:
            if running.poll() is not None:
                break
            polled = now
        if case is not None and first is None and _case_state(case) != before:
            first = now - running.t0
        if kill_after is not None and first is not None:
            left = running.t0 + first + kill_after - now
            if left <= 0:
                running.kill()
                killed = True
                break
            time.sleep(min(left, 0.02))
            continue
        if now > deadline:
            running.kill()
            raise TimeoutError(f"graphkit {' '.join(argv)} ran over {timeout}s")
        time.sleep(0.002)
    return running.finish(timeout, killed=killed, first_write=first)


def run_killed(
    args: Sequence[str | Path], delay: float, *, case: Path, timeout: float = 300
) -> Result:
    """Run ``graphkit ARGS`` and SIGKILL its whole process group ``delay`` seconds after its
    first write to ``case`` (its intent): start-up and imports are no kill points, nothing
    happens then. ``killed`` is False when the command ended by itself first.
    """
    return cli(*args, case=case, kill_after=delay, timeout=timeout)


def kill_delays(
    duration: float, n: int, *, seed: int, lo: float = 0.0, hi: float = 0.97
) -> list[float]:
    """``n`` delays spread over ``[lo, hi]`` of ``duration`` (a command's work: from its first
    write to its end, :attr:`Reference.seconds`): one seeded draw per stratum."""
    rng = random.Random(seed)
    width = (hi - lo) / n
    return [duration * (lo + width * (k + rng.random())) for k in range(n)]


# -- the base case, built once -----------------------------------------------------------------
@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _must(result: Result) -> Result:
    if result.rc != 0:
        raise RuntimeError(
            f"{result.cmdline} exited {result.rc}:\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    return result


@dataclass(frozen=True)
class Base:
    """The shared, read-only material: simulated sources and a case snapshot per stage."""

    root: Path
    sim: Path  # simulated sources of the case (case.toml)
    extra: Path  # a second simulation: files to ingest into the case

    def snapshot(self, name: str) -> Path:
        return self.root / "snapshots" / name

    def extra_cdr(self, n: int = 0) -> tuple[Path, Path]:
        """A CDR file not in the case yet (n > 0: a distinct slice of it) and its mapping."""
        mapping = self.extra / "mappings" / "opA_cdr.toml"
        if n == 0:
            return self.extra / "sources" / "opA_cdr.csv", mapping
        path = self.root / "slices" / f"cdr_{n}.csv"
        if not path.exists():
            lines = (self.extra / "sources" / "opA_cdr.csv").read_text("utf-8").splitlines(True)
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text("".join([lines[0], *lines[1 + 20 * (n - 1) : 1 + 20 * n]]), "utf-8")
            os.replace(tmp, path)
        return path, mapping


def base_cases(root: Path) -> Base:
    """Build (once; safe across processes) the simulated case and its stage snapshots."""
    base = Base(root, root / "sim", root / "extra")
    done = root / "DONE"
    with _file_lock(root / ".build.lock"):
        if done.exists():
            return base
        for leftover in ("sim", "extra", "snapshots"):
            shutil.rmtree(root / leftover, ignore_errors=True)
        extra = _Running(("simulate", str(base.extra), *SIM_ARGS, "--seed", "4"))
        _must(cli("simulate", base.sim, *SIM_ARGS, "--seed", "3"))
        first = base.snapshot("ingested")
        _must(cli("run", base.sim / "case.toml", "--case", first))
        _must(extra.finish(300))
        steps = {snap: STAGE_ARGS[stage] for snap, stage in STAGES_BY_SNAPSHOT.items()}
        previous = first
        seconds: dict[str, float] = {}
        for name, cmd in steps.items():
            target = base.snapshot(name)
            shutil.copytree(previous, target, symlinks=True)
            seconds[name] = _work_seconds(_must(cli(cmd[0], target, *cmd[1:], case=target)))
            previous = target
        (root / "seconds.json").write_text(json.dumps(seconds))
        done.write_text("ok\n")
    return base


def _work_seconds(result: Result) -> float:
    """How long a command worked on the case: from its first write to its end."""
    return result.seconds - (result.first_write or 0.0)


def fresh_case(base: Base, snapshot: str, dest: Path) -> Path:
    """A private copy of a snapshot at ``dest``."""
    shutil.copytree(base.snapshot(snapshot), dest, symlinks=True)
    return dest


# -- the commands under test ---------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    """A command that changes a case, run from a snapshot.

    ``argv(base, case, work)`` gives its arguments; ``outputs(work)`` the files it writes
    outside the case (report, export); ``record`` the manifest record it must leave
    (``("stages", "build")``); ``rerun_extra`` what a re-run adds (``--force``).
    """

    name: str
    snapshot: str
    argv: Callable[[Base, Path, Path], list[str]]
    record: tuple[str, str] | None = None
    outputs: Callable[[Path], list[Path]] = field(default=lambda work: [])
    rerun_extra: tuple[str, ...] = ()


def _argv(stage: str) -> Callable[[Base, Path, Path], list[str]]:
    cmd, *options = STAGE_ARGS[stage]
    return lambda base, case, work: [cmd, str(case), *options]


def _ingest_argv(base: Base, case: Path, work: Path) -> list[str]:
    del work
    path, mapping = base.extra_cdr()
    return [
        "ingest",
        str(case),
        str(path),
        "--kind",
        "cdr",
        "--mapping",
        str(mapping),
        "--source-name",
        "extra_cdr",
    ]


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("ingest", "ingested", _ingest_argv, record=("sources", "extra_cdr")),
        Stage("resolve", "ingested", _argv("resolve"), ("stages", "resolve")),
        Stage("build", "resolved", _argv("build"), ("stages", "build")),
        Stage(
            "analyze",
            "built",
            _argv("analyze"),
            ("stages", "analyze"),
        ),
        Stage(
            "predict-links",
            "analyzed",
            _argv("predict-links"),
            ("stages", "predict_links"),
        ),
        Stage(
            "report",
            "predicted",
            lambda b, c, w: ["report", str(c), "--out", str(w / "report.html")],
            outputs=lambda w: [w / "report.html"],
            rerun_extra=("--force",),
        ),
        Stage(
            "export",
            "predicted",
            lambda b, c, w: [
                "export",
                str(c),
                "--format",
                "json",
                "--out",
                str(w / "c.json"),
                "--purpose",
                "fault test",
                "--recipient",
                "harness",
            ],
            outputs=lambda w: [w / "c.json", w / "c.json.manifest.json"],
            rerun_extra=("--force",),
        ),
    )
}


# -- reading a case without graphkit -------------------------------------------------------
def audit_entries(case: Path) -> list[dict[str, Any]]:
    path = case / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def manifest(case: Path) -> dict[str, Any]:
    return dict(json.loads((case / "manifest.json").read_text("utf-8")))


def _tx(entry: dict[str, Any]) -> str | None:
    detail = entry.get("detail")
    tx = detail.get("tx") if isinstance(detail, dict) else None
    return str(tx) if tx else None


def dangling(case: Path) -> list[str]:
    """Transactions with an intent entry and no outcome entry."""
    entries = audit_entries(case)
    done = {_tx(e) for e in entries if e.get("outcome") != "started"}
    intents = [_tx(e) for e in entries if e.get("outcome") == "started"]
    return [t or "(no tx)" for t in intents if t is None or t not in done]


def case_tables(case: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every base table's rows, sorted, without the time-of-writing columns."""
    import duckdb

    con = duckdb.connect(str(case / "case.duckdb"), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        tables = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_type = 'BASE TABLE' AND table_schema = 'main' ORDER BY 1"
            ).fetchall()
        ]
        out: dict[str, list[tuple[Any, ...]]] = {}
        for t in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = ? AND table_schema = 'main'",
                    [t],
                ).fetchall()
            ]
            drop = [c for c in cols if c in TIME_COLUMNS]
            if len(drop) == len(cols):
                continue
            exclude = f" EXCLUDE ({', '.join(_ident(c) for c in drop)})" if drop else ""
            rows = con.execute(f"SELECT *{exclude} FROM {_ident(t)}").fetchall()
            out[t] = sorted((tuple(_norm(v) for v in row) for row in rows), key=repr)
        return out
    finally:
        con.close()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _norm(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, list):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _norm(v)) for k, v in value.items()))
    return value


def table_diff(got: dict[str, list[Any]], want: dict[str, list[Any]]) -> list[str]:
    """Differences between two :func:`case_tables` results, one line each."""
    problems = []
    for t in sorted(set(got) | set(want)):
        if t not in got:
            problems.append(f"table {t} missing")
        elif t not in want:
            problems.append(f"table {t} not in the clean run")
        elif got[t] != want[t]:
            extra = len(set(map(repr, got[t])) - set(map(repr, want[t])))
            problems.append(
                f"table {t}: {len(got[t])} rows, clean run {len(want[t])} ({extra} rows differ)"
            )
    return problems


# -- clean reference runs --------------------------------------------------------------------
@dataclass(frozen=True)
class Reference:
    """A clean run of a stage on a fresh copy: how long it worked (from its first write to the
    case to its end) and the resulting tables."""

    seconds: float
    tables: dict[str, list[tuple[Any, ...]]]


def reference(base: Base, stage: Stage) -> Reference:
    """The stage's clean run, computed once (safe across processes) and cached on disk."""
    folder = base.root / "reference" / stage.name
    cache = folder / "reference.pickle"
    with _file_lock(base.root / f".ref-{stage.name}.lock"):
        if cache.exists():
            cached: Reference = pickle.loads(cache.read_bytes())  # written by this harness
            return cached
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        made = next((n for n in SNAPSHOTS if STAGES_BY_SNAPSHOT.get(n) == stage.name), None)
        if made is not None:  # the base build ran this stage on a fresh copy already
            seconds = json.loads((base.root / "seconds.json").read_text())[made]
            ref = Reference(seconds, case_tables(base.snapshot(made)))
            cache.write_bytes(pickle.dumps(ref))
            return ref
        work = folder / "out"
        work.mkdir()
        case = fresh_case(base, stage.snapshot, folder / "case")
        result = _must(cli(*stage.argv(base, case, work), case=case))
        ref = Reference(_work_seconds(result), case_tables(case))
        cache.write_bytes(pickle.dumps(ref))
        return ref


# -- invariants ---------------------------------------------------------------------------
def chain_problems(case: Path) -> list[str]:
    """Intent/outcome pairing and manifest transactions (the static invariants)."""
    problems: list[str] = []
    entries = audit_entries(case)
    started: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    success: set[str] = set()
    for e in entries:
        tx = _tx(e)
        if e.get("outcome") == "started":
            if tx is None:
                problems.append(
                    f"audit entry {e.get('seq')} ({e.get('command')}): intent without tx"
                )
            else:
                started[tx] += 1
        elif tx is not None:
            outcomes[tx] += 1
            if e.get("outcome") == "success":
                success.add(tx)
    for tx, n in started.items():
        if n != 1:
            problems.append(f"tx {tx}: {n} intent entries")
        if outcomes[tx] != 1:
            problems.append(f"tx {tx}: {outcomes[tx]} outcome entries (want exactly 1)")
    # a reader's single entry (show, review --queue) may carry a tx without an intent
    m = manifest(case)
    for section in ("sources", "stages"):
        for key, rec in (m.get(section) or {}).items():
            tx = rec.get("tx") if isinstance(rec, dict) else None
            if not tx:
                problems.append(f"manifest {section}.{key}: no tx")
            elif tx not in success:
                problems.append(f"manifest {section}.{key}: tx {tx} has no success outcome")
    return problems


@dataclass
class Check:
    """What :func:`check_after_kill` saw: violations, and the recovery's cost and message."""

    problems: list[str]
    recovery_seconds: float
    recovery_stderr: str
    killed: bool
    dangling_before: int

    def __bool__(self) -> bool:
        return not self.problems


def check_after_kill(
    base: Base,
    stage: Stage,
    case: Path,
    work: Path,
    killed: Result,
    ref: Reference,
    *,
    probe: Sequence[str] | None = None,
) -> Check:
    """Recover a case after ``killed`` and check every invariant; the list of violations.

    1. the next command recovers: ``probe`` if given, else the re-run of the same command
       (``--force`` for report/export: the killed run may have left its output); it says what
       it recovered in one stderr line when an intent had no outcome, and leaves none;
    2. a file at an output path right after the kill has a success outcome entry of the killed
       run once the case is recovered (it had committed: finished, or rolled forward);
    3. the re-run exits 0; the audit chain verifies (:func:`audit_verify_problems`, what
       ``graphkit audit verify`` checks, in this process);
    4. every intent has exactly one outcome with its tx; every manifest source/stage tx has a
       success outcome; the stage's manifest record is there;
    5. the tables equal those of a clean run.

    And first, before anything recovers: the tables are the snapshot's or the clean run's
    (:func:`atomicity_problems`), never a mixture.
    """
    problems: list[str] = []
    hung = dangling(case)
    problems += atomicity_problems(base, stage, case, ref)
    present = [out for out in stage.outputs(work) if out.exists()]
    rerun_cmd = [*stage.argv(base, case, work), *stage.rerun_extra]
    if probe is not None:
        first, *rest = probe
        recovery = cli(first, case, *rest)
        what = "after the kill"
    else:
        recovery = cli(*rerun_cmd)
        what = "re-run after the kill"
    if recovery.rc != 0:
        problems.append(
            f"`{recovery.cmdline}` {what} exited {recovery.rc}: " + _last(recovery.stderr)
        )
    said = recovery_lines(recovery.stderr)
    if hung and not said:
        problems.append(
            f"`{recovery.cmdline}` after the kill: {len(hung)} intent(s) without outcome, "
            "and no stderr line saying what was recovered"
        )
    elif len(said) > 1:
        problems.append(f"`{recovery.cmdline}` said {len(said)} recovery lines, want one")
    left = dangling(case)
    if left:
        problems.append(f"after `{recovery.cmdline}` {len(left)} intent(s) still have no outcome")
    if probe is not None:
        rerun = cli(*rerun_cmd)
        if rerun.rc != 0:
            problems.append(f"`{rerun.cmdline}` re-run exited {rerun.rc}: {_last(rerun.stderr)}")
    else:
        rerun = recovery
    if present and not _killed_run_succeeded(base, stage, case):
        names = ", ".join(out.name for out in present)
        problems.append(f"{names} existed after the kill, and no success entry of the killed run")
    problems += audit_verify_problems(case)
    problems += chain_problems(case)
    if stage.record is not None:
        section, key = stage.record
        if key not in (manifest(case).get(section) or {}):
            problems.append(f"manifest {section}.{key} missing after the re-run")
    for out in stage.outputs(work):
        if rerun.rc == 0 and not out.exists():
            problems.append(f"{out.name} missing after the re-run")
    if rerun.rc == 0:
        problems += table_diff(case_tables(case), ref.tables)
    return Check(problems, recovery.seconds, " / ".join(said), killed.killed, len(hung))


_SNAPSHOT_TABLES: dict[tuple[Path, str], dict[str, list[tuple[Any, ...]]]] = {}


def snapshot_tables(base: Base, snapshot: str) -> dict[str, list[tuple[Any, ...]]]:
    key = (base.root, snapshot)
    if key not in _SNAPSHOT_TABLES:
        _SNAPSHOT_TABLES[key] = case_tables(base.snapshot(snapshot))
    return _SNAPSHOT_TABLES[key]


def atomicity_problems(base: Base, stage: Stage, case: Path, ref: Reference) -> list[str]:
    """Right after the kill, before anything recovers: the tables are all or nothing, either
    the snapshot's (nothing committed) or the clean run's (committed)."""
    try:
        now = case_tables(case)
    except Exception as exc:  # a case DuckDB cannot open is a finding, not a harness error
        return [f"after the kill the case database cannot be read: {exc}".splitlines()[0]]
    # a journal row is the commit record of a command killed between its commit and its apply:
    # the tables are then the clean run's, and the next command rolls it forward
    now.pop(JOURNAL, None)
    before = {t: rows for t, rows in snapshot_tables(base, stage.snapshot).items() if t != JOURNAL}
    after = {t: rows for t, rows in ref.tables.items() if t != JOURNAL}
    if now in (before, after):
        return []
    to_before, to_after = table_diff(now, before), table_diff(now, after)
    nearest, diff = (
        ("the snapshot", to_before)
        if len(to_before) <= len(to_after)
        else ("the clean run", to_after)
    )
    return [
        f"after the kill the tables are half-written (neither the snapshot nor the clean run; "
        f"nearest {nearest}: {'; '.join(diff[:4])})"
    ]


def _killed_run_succeeded(base: Base, stage: Stage, case: Path) -> bool:
    """Whether the killed command has a success entry (it finished, or recovery rolled it
    forward): a success of ``stage`` after the snapshot, other than the re-run's (the last)."""
    entries = [e for e in audit_entries(case) if int(e.get("seq", -1)) > _snapshot_seq(base, stage)]
    mine = [e for e in entries if str(e.get("command", "")).split()[:1] == [stage.name]]
    rerun_tx = next((_tx(e) for e in reversed(mine) if e.get("outcome") == "started"), None)
    return any(e.get("outcome") == "success" and _tx(e) != rerun_tx for e in mine)


def audit_verify_problems(case: Path) -> list[str]:
    """What ``graphkit audit verify CASE`` checks (the chain and the manifest's head, after
    finishing an entry a killed command recorded), in this process: no interpreter start-up."""
    from graphkit.store.case import CaseStore

    try:
        store = CaseStore.open(case)
        store.finish_pending_entry()
        result = store.audit.verify()
    except Exception as exc:  # a broken case is a finding
        return [f"audit verify: {type(exc).__name__}: {exc}".splitlines()[0]]
    if not result.ok:
        return [f"audit verify: broken at line {result.first_bad_line}: {result.reason}"]
    return []


def recovery_lines(stderr: str) -> list[str]:
    """The lines of ``stderr`` that report a recovery (library warnings left out)."""
    return [
        ln.strip()
        for ln in stderr.splitlines()
        if re.search(r"recover|interrupted|rolled? forward", ln, re.IGNORECASE)
    ]


def _snapshot_seq(base: Base, stage: Stage) -> int:
    entries = audit_entries(base.snapshot(stage.snapshot))
    return int(entries[-1]["seq"]) if entries else -1


def _last(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:300] if lines else "(no output)"


def kill_and_check(
    base: Base,
    stage: Stage,
    tmp: Path,
    delay: float,
    ref: Reference,
    *,
    probe: Sequence[str] | None = None,
) -> tuple[Result, Check]:
    """One kill point: fresh copy, run and SIGKILL ``delay`` seconds after the command's first
    write to the case, recover, check.

    ``probe``: a command that recovers before the re-run (``("show", "summary")`` runs
    ``graphkit show CASE summary``); by default the re-run recovers itself.
    """
    case = fresh_case(base, stage.snapshot, tmp / "case")
    work = tmp / "out"
    work.mkdir()
    killed = run_killed(stage.argv(base, case, work), delay, case=case)
    return killed, check_after_kill(base, stage, case, work, killed, ref, probe=probe)


def shared_root(tmp_path_factory: Any) -> Path:
    """A folder shared by every xdist worker of this run (the base temp's parent under xdist)."""
    basetemp = Path(tmp_path_factory.getbasetemp())
    root = basetemp.parent if os.environ.get("PYTEST_XDIST_WORKER") else basetemp
    return root / "fault-harness"
