"""Heavy dependencies load lazily: importing gnn or the CLI module does not import torch."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_gnn_and_cli_module_do_not_import_torch() -> None:
    code = (
        "import sys, gnn, gnn.views, graphkit.cli.predict; "
        "assert 'torch' not in sys.modules and 'torch_geometric' not in sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
