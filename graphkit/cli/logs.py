"""Where log records go: the case's log file, and the terminal only for what people act on.

Every record at INFO and above goes to ``CASE_DIR/logs/graphkit.log`` once a command has
opened a case (:func:`attach_case_log`; nothing is written to a case that cannot take it).
The terminal (stderr) shows graphkit's own warnings, and progress details with
``--verbose``. Records of third-party libraries (Splink, PyTorch Geometric, Spark and py4j,
Python warnings raised inside libraries) and graphkit's summaries of them (records carrying
``extra={"third_party": NAME, "notes": N}``, such as Splink's notes folded by
:mod:`resolution.linkage`) go to the case log only; at the end of the command one line says
how many there were and where they are. ``--verbose`` shows them all on the terminal.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import Counter
from pathlib import Path

__all__ = ["CASE_LOG", "attach_case_log", "configure", "held_summary", "reset"]

#: the case log, relative to the case directory
CASE_LOG = Path("logs") / "graphkit.log"
#: top-level logger names of the libraries whose records stay off the terminal
THIRD_PARTY = {
    "splink": "Splink",
    "torch_geometric": "PyTorch Geometric",
    "torch": "PyTorch",
    "pyspark": "Spark",
    "py4j": "Spark (py4j)",
    "py": "Python warnings",  # py.warnings: warnings.warn() from libraries
    "numba": "numba",
}
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def third_party(record: logging.LogRecord) -> str | None:
    """The library a record comes from or summarises, None for graphkit's own."""
    marked = getattr(record, "third_party", None)
    if marked:
        return str(marked)
    return THIRD_PARTY.get(record.name.split(".", 1)[0])


class _TerminalFilter(logging.Filter):
    """Lets graphkit's own records through; counts and holds back third-party ones."""

    def __init__(self, *, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose
        self.held: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        source = third_party(record)
        if source is None or self.verbose:
            return True
        if record.levelno >= logging.WARNING:
            self.held[source] += int(getattr(record, "notes", 1))
        return False


class _TerminalFormatter(logging.Formatter):
    """graphkit's own records read as sentences ("warning: ..." or the message alone, for
    progress with ``--verbose``); a library's (shown with ``--verbose``) keep its level and
    logger name, which say where they come from."""

    def format(self, record: logging.LogRecord) -> str:
        if third_party(record) is not None:
            return f"{record.levelname} {record.name}: {super().format(record)}"
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {text}"
        return text


class _CaseLogHandler(logging.FileHandler):
    """A file handler that creates the log (and its directory) with the first record only:
    a command that logs nothing leaves the case as it was."""

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(exist_ok=True)
        return super()._open()


class _State:
    terminal: logging.Handler | None = None
    terminal_filter: _TerminalFilter | None = None
    case_file: logging.FileHandler | None = None
    case_log: Path | None = None


_STATE = _State()


def configure(*, verbose: bool, stream: object = None) -> None:
    """Set up the terminal handler (stderr, or ``stream``) and capture Python warnings into
    logging; called once per command by the root callback. Replaces what a previous call in
    the same process set up (tests run many commands in one process)."""
    reset()
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    handler.setFormatter(_TerminalFormatter("%(message)s"))
    filt = _TerminalFilter(verbose=verbose)
    handler.addFilter(filt)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    _STATE.terminal, _STATE.terminal_filter = handler, filt


def attach_case_log(case_dir: Path) -> Path | None:
    """Append this command's records (INFO and above) to the case log; the path, or None
    when the case directory cannot take it (a read-only copy of a case stays untouched)."""
    if _STATE.case_file is not None:
        return _STATE.case_log
    target = Path(case_dir) / CASE_LOG
    writable = target.parent if target.parent.is_dir() else target.parent.parent
    if not os.access(writable, os.W_OK):
        return None
    handler = _CaseLogHandler(target, encoding="utf-8", delay=True)
    formatter = logging.Formatter(_FORMAT)
    formatter.converter = time.gmtime  # the case's clock is UTC
    handler.setFormatter(formatter)
    handler.setLevel(logging.INFO)
    logging.getLogger().addHandler(handler)
    _STATE.case_file, _STATE.case_log = handler, target
    return target


def held_summary(command: str) -> str | None:
    """The one line that says which third-party messages were kept off the terminal."""
    filt = _STATE.terminal_filter
    if filt is None or not filt.held:
        return None
    parts = ", ".join(f"{n} from {source}" for source, n in sorted(filt.held.items()))
    where = f"in {_STATE.case_log}" if _STATE.case_log else "not kept (no case log)"
    return f"{command}: library messages ({parts}) are {where}; --verbose shows them"


def reset() -> None:
    """Remove the handlers :func:`configure` and :func:`attach_case_log` added."""
    root = logging.getLogger()
    for handler in (_STATE.terminal, _STATE.case_file):
        if handler is not None:
            root.removeHandler(handler)
            handler.close()
    logging.captureWarnings(False)
    _STATE.terminal = _STATE.terminal_filter = _STATE.case_file = None
    _STATE.case_log = None
