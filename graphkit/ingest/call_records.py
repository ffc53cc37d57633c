"""The call records of a case as one frame of events, for the analytics that read time stamps.

Read from ``src_cdr`` (the staging view ingest writes), each event once: the signals
(:mod:`graphkit.signals.stage`) and the relayed orders (:mod:`graphkit.analytics.relays`)
start from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from graphkit.errors import CaseError

if TYPE_CHECKING:
    from graphkit.store import CaseStore

__all__ = ["load_cdr_events"]


def load_cdr_events(store: CaseStore) -> pd.DataFrame:
    """The call records of the case, each event once.

    Rows flagged as exact duplicates at ingest are left out, and rows with the same caller,
    callee, type and second count once: an event recorded by both parties' operators, or the
    parts of one long SMS. The row kept is the first by source name and row (deterministic).
    """
    with store.connect(read_only=True) as con:
        if not store.table_exists(con, "src_cdr"):
            raise CaseError("the case has no call records; ingest a cdr source first")
        return con.execute(
            """
            SELECT caller, callee, start, duration_s, event_type, cell_id, imei
            FROM src_cdr WHERE NOT coalesce(is_duplicate, false)
            QUALIFY row_number() OVER (
                PARTITION BY caller, callee, start, event_type
                ORDER BY source_name, row_number
            ) = 1
            ORDER BY start, caller, callee
            """
        ).df()
