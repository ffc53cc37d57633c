"""One exception root for graphkit.

The CLI turns a :class:`GraphkitError` into a one-line message and a non-zero exit code;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "AuditError",
    "CaseError",
    "GraphkitError",
    "InputError",
    "MappingError",
]


class GraphkitError(Exception):
    """Base class of every error graphkit raises on purpose.

    ``exit_code`` is what the CLI exits with: 2 for user errors (bad input, bad options),
    1 for failures found in data the user owns (e.g. a broken audit chain).
    """

    exit_code: int = 2

    def __init__(self, message: str, **context: object) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class InputError(GraphkitError):
    """An input file or option cannot be used (missing file, not a table, unknown kind)."""


class MappingError(InputError):
    """A column mapping is invalid or does not match the file."""


class CaseError(GraphkitError):
    """The case directory is missing, not a case, or in a state that forbids the command."""


class AuditError(GraphkitError):
    """The audit log failed verification."""

    exit_code = 1
