"""Operator CDR files: two operators, two layouts, written a day at a time through pyarrow.

Each event is written once, in the file of the caller's operator (landlines: operator A),
with the caller's cell, handset and SIM. Strings are never formatted row by row: every
column is a ``take`` from a small lookup table (numbers in several written forms, minutes of
the period as local time, durations as H:MM:SS). Noise is planted with exact counts through
running quotas: ``floor(rate x rows so far)`` rows are malformed or duplicated.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from graphkit.simulate.events import DayEvents
from graphkit.simulate.phones import phone_variants
from graphkit.simulate.plan import Plan
from graphkit.simulate.spec import SimulationSpec
from graphkit.simulate.world import Towers

__all__ = ["OPERATOR_FORMATS", "CdrWriter", "OperatorFormat"]

DEFECTS = ("truncated", "bad_date", "no_caller")
TRUNCATED, BAD_DATE, NO_CALLER = range(3)


@dataclass(frozen=True)
class OperatorFormat:
    """Layout of one operator's CDR export."""

    source: str
    operator: int
    delimiter: str
    header: tuple[str, ...]  # record id, start, caller, callee, type, duration, cell, imei, imsi
    time_format: str  # strftime, in ``timezone``
    timezone: str
    iso_offset: bool  # append the UTC offset as +HH:MM
    duration: str  # "s" | "hms"
    labels: tuple[str, str]  # call, sms
    caller_variants: tuple[int, ...]  # indexes into phone_variants()
    callee_variants: tuple[int, ...]
    record_prefix: str
    bad_date: str

    def mapping(self) -> dict[str, Any]:
        """The ingest mapping (TOML document as a dict) for this layout."""
        canonical = ("record_id", "start", "caller", "callee", "event_type", "duration_s")
        columns = dict(zip(canonical, self.header, strict=False))
        columns |= {"cell_id": self.header[6], "imei": self.header[7], "imsi": self.header[8]}
        fmt = self.time_format + ("%z" if self.iso_offset else "")
        return {
            "kind": "cdr",
            "source_name": self.source,
            "timezone": self.timezone,
            "default_region": "GB",
            "read": {"delimiter": self.delimiter, "encoding": "utf-8", "header": True},
            "columns": columns,
            "formats": {"start": fmt, "duration_s": self.duration},
        }


OPERATOR_FORMATS = (
    OperatorFormat(
        source="opA_cdr",
        operator=0,
        delimiter=";",
        header=(
            "CallID",
            "Datetime",
            "From",
            "To",
            "Type",
            "Duration(seconds)",
            "Cell Tower",
            "IMEI",
            "IMSI",
        ),
        time_format="%Y%m%d %H%M",
        timezone="Europe/London",
        iso_offset=False,
        duration="s",
        labels=("MOC", "MO-SMS"),
        caller_variants=(1,),
        callee_variants=(0, 2),
        record_prefix="A",
        bad_date="#######",
    ),
    OperatorFormat(
        source="opB_cdr",
        operator=1,
        delimiter=",",
        header=(
            "event_id",
            "event_start",
            "calling_number",
            "called_number",
            "event_type",
            "duration",
            "cell_id",
            "imei",
            "imsi",
        ),
        time_format="%Y-%m-%dT%H:%M:%S",
        timezone="Europe/London",
        iso_offset=True,
        duration="hms",
        labels=("voice", "text"),
        caller_variants=(4,),
        callee_variants=(3, 5),
        record_prefix="",
        bad_date="0000-00-00T00:00:00+00:00",
    ),
)


@dataclass
class SourceStats:
    rows: int = 0
    events: int = 0
    duplicates: int = 0
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # row, record id, defect


class CdrWriter:
    """Writes both operators' files; call :meth:`write_day` in day order, then :meth:`close`."""

    def __init__(self, out_dir: Path, spec: SimulationSpec, plan: Plan, towers: Towers) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        self._pa, self._pc = pa, pc
        self.spec = spec
        self.plan = plan
        self.operator_of_phone = np.array(plan.phones.operator, dtype=np.int64)
        self.variants = pa.array(phone_variants(plan.msisdn).ravel(), pa.string())
        self.cells = pa.array(towers.cell_id, pa.string())
        self.imeis = pa.array(plan.imei, pa.string())
        self.imsis = pa.array([x or None for x in plan.imsi], pa.string())
        seconds = np.arange(7201)
        self.hms = pa.array(
            [f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" for s in seconds], pa.string()
        )
        self.two_digits = pa.array([f"{s:02d}" for s in range(60)], pa.string())
        minutes = np.arange(spec.days * 1440, dtype=np.int64) * 60 + spec.start_epoch_s
        self._minutes = minutes
        self._minute_tables: dict[tuple[str, str], Any] = {}
        self.stats = {f.source: SourceStats() for f in OPERATOR_FORMATS}
        self._files: dict[str, IO[bytes]] = {}
        for f in OPERATOR_FORMATS:
            handle = (out_dir / "sources" / f"{f.source}.csv").open("wb")
            handle.write((f.delimiter.join(f.header) + "\n").encode())
            self._files[f.source] = handle

    def _minute_table(self, fmt: str, tz: str) -> Any:
        key = (fmt, tz)
        if key not in self._minute_tables:
            pa, pc = self._pa, self._pc
            stamps = pa.array(self._minutes, pa.timestamp("s", tz=tz))
            self._minute_tables[key] = pc.strftime(stamps, format=fmt)
        return self._minute_tables[key]

    def _times(self, f: OperatorFormat, t: np.ndarray) -> Any:
        pa, pc = self._pa, self._pc
        minute = pa.array(t // 60)
        if not f.time_format.endswith("%S"):
            return self._minute_table(f.time_format, f.timezone).take(minute)
        head = self._minute_table(f.time_format[:-2], f.timezone).take(minute)
        sec = self.two_digits.take(pa.array(t % 60))
        parts = [head, sec]
        if f.iso_offset:
            offset = self._minute_table("%z", f.timezone).take(minute)
            parts.append(pc.utf8_replace_slice(offset, start=3, stop=3, replacement=":"))
        return pc.binary_join_element_wise(*parts, "")

    def write_day(self, events: DayEvents, rng: np.random.Generator) -> None:
        """Append one day's events (already in time order) to the operator files."""
        op = self.operator_of_phone[events.caller]
        for f in OPERATOR_FORMATS:
            self._write(f, events.take(np.flatnonzero(op == f.operator)), rng)

    def _quota(self, rate: float, before: int, rows: int) -> int:
        return int(np.floor(rate * (before + rows)) - np.floor(rate * before))

    def _write(self, f: OperatorFormat, ev: DayEvents, rng: np.random.Generator) -> None:
        import pyarrow.csv as pcsv

        pa, pc = self._pa, self._pc
        st = self.stats[f.source]
        n = ev.size
        noise = self.spec.noise
        n_bad = min(n, self._quota(noise.cdr_malformed, st.events, n))
        n_dup = min(n - n_bad, self._quota(noise.cdr_duplicate, st.events, n))
        picks = rng.permutation(n)[: n_bad + n_dup]  # disjoint: a malformed row is never copied
        bad, dup = np.sort(picks[:n_bad]), np.sort(picks[n_bad:])
        defect = rng.integers(0, len(DEFECTS), n_bad)
        record_no = st.events + np.arange(n, dtype=np.int64) + 1
        rows = np.sort(np.concatenate([np.arange(n), dup]), kind="stable")
        ev = ev.take(rows)
        record_no = record_no[rows]
        k = len(f.caller_variants)
        caller_var = np.asarray(f.caller_variants)[rng.integers(0, k, n)][rows]
        callee_var = np.asarray(f.callee_variants)[rng.integers(0, len(f.callee_variants), n)][rows]
        defect_of = np.full(n, -1)
        defect_of[bad] = defect
        defect_row = defect_of[rows]
        first = np.r_[True, rows[1:] != rows[:-1]]

        rid = pc.cast(pa.array(record_no), pa.string())
        if f.record_prefix:
            rid = pc.binary_join_element_wise(
                f.record_prefix, pc.utf8_lpad(rid, width=10, padding="0"), ""
            )
        start = self._times(f, ev.time_s)
        start = pc.if_else(pa.array(defect_row == BAD_DATE), pa.scalar(f.bad_date), start)
        caller = self.variants.take(pa.array(ev.caller * 6 + caller_var))
        no_caller = pa.array(defect_row == NO_CALLER)
        caller = pc.if_else(no_caller, pa.scalar(None, pa.string()), caller)
        callee = self.variants.take(pa.array(ev.callee * 6 + callee_var))
        kind = pa.array(f.labels, pa.string()).take(pa.array(ev.sms.astype(np.int64)))
        if f.duration == "hms":
            duration = self.hms.take(pa.array(ev.duration_s))
        else:
            duration = pa.array(ev.duration_s)
        cell = self.cells.take(pa.array(ev.cell, mask=ev.cell < 0))
        imei = self.imeis.take(pa.array(ev.imei, mask=ev.imei < 0))
        imsi = self.imsis.take(pa.array(ev.caller))
        table = pa.table(
            [rid, start, caller, callee, kind, duration, cell, imei, imsi], names=list(f.header)
        )
        options = pcsv.WriteOptions(
            include_header=False, delimiter=f.delimiter, quoting_style="none"
        )
        handle = self._files[f.source]
        sep = f.delimiter.encode()
        done = 0
        for r in [*np.flatnonzero(defect_row == TRUNCATED).tolist(), table.num_rows]:
            if r > done:  # the rows before a truncated one, written as they are
                buf = io.BytesIO()
                pcsv.write_csv(table.slice(done, r - done), buf, options)
                handle.write(buf.getvalue())
            if r < table.num_rows:  # a truncated row: only its first five fields
                buf = io.BytesIO()
                pcsv.write_csv(table.slice(r, 1), buf, options)
                handle.write(sep.join(buf.getvalue().split(sep)[:5]) + b"\n")
            done = r + 1
        bad_rows = np.flatnonzero(defect_row >= 0)
        bad_ids = rid.take(pa.array(bad_rows)).to_pylist()
        for r, text in zip(bad_rows, bad_ids, strict=True):
            st.malformed.append((st.rows + int(r) + 1, str(text), DEFECTS[defect_row[r]]))
        st.rows += int(rows.size)
        st.events += n
        st.duplicates += int((~first).sum())

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
