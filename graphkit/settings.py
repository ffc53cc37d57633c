"""The one shape of a stage's settings: a frozen dataclass that validates itself.

Every stage (``ingest``, ``resolve``, ``build``, ``analyze``, ``signals``, ``predict-links``,
``report``, ``export``) exposes a ``Settings`` class derived from :class:`StageSettings` and a
``run(store, settings) -> summary`` function (see :mod:`graphkit.pipeline`). Defaults live in
the class and nowhere else. A bad value raises :class:`SettingsError` naming the *field*; a
problem that names another field puts it in backticks (``exists; set `force` to replace it``).
The CLI translates field names, backticked ones included, into its flags
(:func:`graphkit.cli._common.flag_names`), so library errors never name a command-line flag.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(StageSettings):
...     runs: int = 3
...     def validate(self) -> None:
...         self.require(self.runs >= 1, "runs", "must be at least 1")
>>> Demo(runs=0)
Traceback (most recent call last):
...
graphkit.settings.SettingsError: runs: must be at least 1
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Self

from graphkit.errors import InputError

__all__ = ["SettingsError", "StageSettings"]


class SettingsError(InputError):
    """A stage setting out of its domain; ``field`` names the setting, and ``problem`` puts
    any other field it names in backticks (see the module docstring)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}", field=field)
        self.field = field
        self.problem = problem


class StageSettings:
    """Base of every stage's frozen settings dataclass (see the module docstring)."""

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; call :meth:`require` for each rule."""

    @staticmethod
    def require(ok: bool, field: str, problem: str) -> None:
        """Raise :class:`SettingsError` for ``field`` unless ``ok``."""
        if not ok:
            raise SettingsError(field, problem)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples as lists, paths as text), saved with each run."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif hasattr(value, "__fspath__"):
                value = str(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Settings from a saved dict; unknown keys (from other versions) are ignored."""
        known = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        kept = {}
        for name, value in values.items():
            if name not in known:
                continue
            default = known[name].default
            if isinstance(value, list) and isinstance(default, tuple):
                value = tuple(value)
            kept[name] = value
        return cls(**kept)
