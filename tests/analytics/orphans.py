"""A caller that starts two worker processes which write their pid and then wait; run as a
script by ``test_parallel.py`` and killed with -9 there."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def wait_forever(folder: str, _item: int) -> int:
    Path(folder, f"{os.getpid()}.pid").write_text("", encoding="utf-8")
    time.sleep(600)
    return os.getpid()


def main() -> None:
    from functools import partial

    from graphkit.analytics.parallel import map_processes

    map_processes(partial(wait_forever, sys.argv[1]), [0, 1], 2)


if __name__ == "__main__":
    main()
