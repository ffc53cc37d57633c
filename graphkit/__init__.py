"""graphkit: graph-centric link analysis for crime analysts.

The public surface is small on purpose: the case store, the declared model and the error
root. Stages live in their own packages (``graphkit.ingest``, ``graphkit.analytics``, ...)
and are imported where used, so ``import graphkit`` stays fast.
"""

from __future__ import annotations

from graphkit.errors import GraphkitError

__version__ = "0.1.0"

__all__ = ["GraphkitError", "__version__"]
