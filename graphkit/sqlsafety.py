"""Locking down a DuckDB connection before it runs SQL that input can influence.

A connection that scores a saved model, or standardises records from a source file, runs SQL
whose shape or values come from outside graphkit. Even with every such text rebuilt or
parameterised (see :mod:`resolution.model_file`), defence in depth: once locked down, the
connection cannot touch the file system or the network (``read_csv``, ``read_text``, ``glob``,
``COPY ... TO``, ``ATTACH``, ``EXPORT DATABASE``, ``INSTALL``/``LOAD`` of extensions all fail
with a permission error) and its settings cannot be changed back (``SET`` of any option fails).

What still works: tables and views inside the connection, pandas/Arrow frames registered with
``con.register`` (how Splink and :func:`resolution.standardise.standardise` feed data in), and
spilling to the connection's own temporary directory under its memory limit. What does not:
replacement scans of Python variables by name (``SELECT * FROM my_frame`` without
``register``), and any later ``SET`` (so configure memory limits, threads and the temporary
directory when connecting, before :func:`lock_down`).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref

import duckdb

__all__ = ["bounded_connection", "lock_down"]


def bounded_connection(memory_limit_gb: float) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection, locked down (:func:`lock_down`), that holds at most
    ``memory_limit_gb`` and spills beyond it to a folder of its own under the system's
    temporary directory, removed with the connection (DuckDB's default is ``./.tmp`` in
    whatever folder the analyst runs graphkit from)."""
    spill = tempfile.mkdtemp(prefix="graphkit-spill-")
    try:
        con = duckdb.connect(
            ":memory:", config={"memory_limit": f"{memory_limit_gb}GB", "temp_directory": spill}
        )
    except BaseException:
        shutil.rmtree(spill, ignore_errors=True)
        raise
    weakref.finalize(con, shutil.rmtree, spill, True)
    con.execute("SET enable_progress_bar = false")  # no bars on the terminal
    lock_down(con)
    return con


def lock_down(con: duckdb.DuckDBPyConnection) -> None:
    """Disable external access (files, network, extensions) on ``con`` and freeze its settings.

    Raises :class:`RuntimeError` if DuckDB did not take the settings (a version without them):
    running unguarded is a bug, not an input problem.
    """
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    rows = con.execute(
        "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')"
    ).fetchall()  # fetched to the end: an unfinished result would block the connection
    if rows != [(False, True)]:
        raise RuntimeError("DuckDB did not apply the connection lock-down")
