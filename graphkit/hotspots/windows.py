"""Time windows written ``START..END``: months (``2018-07``), days (``2018-07-01``) or instants.

A month or day given as an end covers all of it (``2016-07..2017-07`` ends on 2017-08-01), an
instant is taken as is; one value alone (``2018-07``) is a window by itself. Times are UTC and
come back as days since 1970-01-01 (floats), the unit every forecast method uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from graphkit.settings import SettingsError

__all__ = ["Window", "days_to_text", "parse_window"]

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """``[start, end)`` in days since 1970-01-01 UTC, and the text it was read from."""

    start: float
    end: float
    text: str

    @property
    def days(self) -> float:
        return self.end - self.start

    def shifted(self, days: float) -> Window:
        return Window(self.start + days, self.end + days, f"{self.text} {days:+g} d")

    def label(self) -> str:
        """``2018-07-01 .. 2018-07-31``: both ends included (an end at midnight is shown as
        the day before it)."""
        end = days_to_text(self.end)
        if len(end) == 10:  # midnight: the window ends with the day before
            end = days_to_text(self.end - 1)
        return f"{days_to_text(self.start)} .. {end}"


def _bound(text: str, *, end: bool, what: str) -> datetime:
    value = text.strip()
    try:
        if _MONTH.match(value):
            start = datetime.strptime(value, "%Y-%m").replace(tzinfo=UTC)
            if not end:
                return start
            return (start + timedelta(days=32)).replace(day=1)
        if _DAY.match(value):
            day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise SettingsError(
            what, f"{value!r} is not a month (2018-07), a day (2018-07-01) or an ISO time"
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def parse_window(text: str, *, what: str) -> Window:
    """The window ``START..END`` (or a single month or day); ``what`` names it in errors."""
    parts = text.split("..")
    if len(parts) == 1:
        parts = [parts[0], parts[0]]
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise SettingsError(what, f"{text!r} is not START..END (e.g. 2016-07..2017-07)")
    start = _bound(parts[0], end=False, what=what)
    end = _bound(parts[1], end=True, what=what)
    if end <= start:
        raise SettingsError(what, f"{text!r} ends before it starts")
    return Window(
        (start - EPOCH) / timedelta(days=1), (end - EPOCH) / timedelta(days=1), text.strip()
    )


def days_to_text(days: float) -> str:
    """Days since 1970-01-01 as a UTC time (the date alone at midnight)."""
    when = EPOCH + timedelta(days=days)
    if when.hour == when.minute == when.second == 0:
        return when.date().isoformat()
    return when.isoformat(sep=" ", timespec="minutes")
