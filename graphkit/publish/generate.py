"""Writes (or checks) the generated ``cypher/schema`` and ``cypher/write`` files.

Run ``python -m graphkit.publish.generate`` after changing the model; ``--check`` exits 1 when
the checked-in files differ from the model (a test does the same).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from graphkit.publish.paths import cypher_dir
from graphkit.publish.statements import all_statements

logger = logging.getLogger(__name__)

GENERATED_DIRS = ("schema", "write")


def generated_files() -> dict[str, str]:
    """Relative path under ``cypher/`` -> file text, for every generated statement."""
    return {f"{s.name}.cypher": s.file_text() for s in all_statements()}


def differences(root: Path) -> list[str]:
    """Generated files missing, changed or extra under ``root`` (a ``cypher/`` directory)."""
    want = generated_files()
    have = {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for d in GENERATED_DIRS
        for p in sorted((root / d).glob("*.cypher"))
    }
    out = [f"missing {k}" for k in sorted(want.keys() - have.keys())]
    out += [f"changed {k}" for k in sorted(want.keys() & have.keys()) if want[k] != have[k]]
    out += [f"extra {k}" for k in sorted(have.keys() - want.keys())]
    return out


def write(root: Path) -> int:
    """Rewrites the generated files under ``root``, removing stale ones; returns files written."""
    want = generated_files()
    for d in GENERATED_DIRS:
        (root / d).mkdir(parents=True, exist_ok=True)
        for p in (root / d).glob("*.cypher"):
            if str(p.relative_to(root)) not in want:
                p.unlink()
    for rel, text in want.items():
        (root / rel).write_text(text, encoding="utf-8")
    return len(want)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 on drift")
    parser.add_argument("--root", type=Path, default=None, help="cypher/ directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    root = args.root or cypher_dir()
    if args.check:
        diff = differences(root)
        for line in diff:
            logger.error(line)
        return 1 if diff else 0
    logger.info("wrote %d files under %s", write(root), root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
