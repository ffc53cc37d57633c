"""Property test: whatever mix of good and malformed rows a CDR file holds, every row is either
accepted unchanged or rejected with its row number — accepted + rejected = rows read."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphkit.ingest import ingest_file
from graphkit.store import CaseStore

NUMBERS = {
    "+44 7400 123456": "+447400123456",
    "0044 7400 654321": "+447400654321",
    "07400 111222": "+447400111222",
    "07400333444": "+447400333444",
    "200": "200",
    "N14": "N14",
}
BASE = datetime(2024, 1, 1, tzinfo=UTC)

good_rows = st.builds(
    lambda caller, callee, minutes, duration, cell: (
        "good",
        [
            caller,
            callee,
            (BASE + timedelta(minutes=minutes)).strftime("%Y-%m-%d %H:%M:%S"),
            str(duration),
            cell,
        ],
        (NUMBERS[caller], NUMBERS[callee], BASE + timedelta(minutes=minutes), duration, cell),
    ),
    st.sampled_from(sorted(NUMBERS)),
    st.sampled_from(sorted(NUMBERS)),
    st.integers(0, 60 * 24 * 365),
    st.integers(0, 36000),
    st.one_of(
        st.text("ABCDEFXYZ0123456789-ëé", min_size=1, max_size=8),
        st.just("H" * 200_000),  # a huge but legitimate field
    ),
)
bad_date = st.builds(
    lambda d: ("bad", ["07400 111222", "200", d, "10", "C1"], "bad_timestamp"),
    st.sampled_from(["2024-13-45 10:00:00", "yesterday", "31/31/2024", "2024-02-30 25:61:00"]),
)
negative = st.builds(
    lambda n: (
        "bad",
        ["07400 111222", "200", "2024-01-01 10:00:00", str(-n), "C1"],
        "negative_duration",
    ),
    st.integers(1, 10_000),
)
wrong_count = st.builds(
    lambda k: (
        "bad",
        ["07400 111222", "200", "2024-01-01 10:00:00", "10", "C1", "x", "y"][:k],
        "columns",
    ),
    st.sampled_from([1, 2, 3, 4, 6, 7]),
)
invalid_utf8 = st.just(("bad", None, "invalid_encoding"))


def _line(kind: str, fields: list[str] | None) -> bytes:
    if fields is None:
        return b"07400 111222,\xff\xfe\xfd,2024-01-01 10:00:00,10,C1"
    return ",".join(fields).encode("utf-8")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(good_rows, bad_date, negative, wrong_count, invalid_utf8), min_size=1, max_size=30
    )
)
def test_accepted_plus_rejected_is_total_and_good_rows_unchanged(rows: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        store = CaseStore.init(tmp_path / "case")
        body = b"\n".join(_line(kind, fields) for kind, fields, _ in rows)
        path = tmp_path / "cdr.csv"
        path.write_bytes(b"caller,callee,start,duration,cell_id\n" + body + b"\n")
        mapping = tmp_path / "m.toml"
        mapping.write_text('[read]\nencoding = "utf-8"\ndelimiter = ","\n', encoding="utf-8")
        result = ingest_file(store, path, kind="cdr", mapping_path=mapping)

        assert result.rows_read == len(rows)
        assert result.accepted + result.rejected == result.rows_read
        expected_good = {i + 1: exp for i, (k, _f, exp) in enumerate(rows) if k == "good"}
        expected_bad = {i + 1: exp for i, (k, _f, exp) in enumerate(rows) if k == "bad"}
        assert result.accepted == len(expected_good)
        assert result.rejected == len(expected_bad)
        with store.connect() as con:
            got = con.execute(
                "SELECT row_number, caller, callee, start, duration_s, cell_id FROM src_cdr"
            ).fetchall()
            rejected = dict(con.execute("SELECT row_number, error_type FROM rejects").fetchall())
        assert {r[0]: tuple(r[1:]) for r in got} == expected_good
        assert set(rejected) == set(expected_bad)
        for row, error in expected_bad.items():
            if error == "columns":
                assert rejected[row] in ("missing_columns", "too_many_columns")
            else:
                assert rejected[row] == error
