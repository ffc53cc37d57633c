"""Every stage has one shape: a frozen, validated ``Settings`` and ``run(store, settings)``;
errors name fields, and the CLI names the flags the user typed (issue 20)."""

from __future__ import annotations

import dataclasses
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from graphkit.cli._common import flag_names
from graphkit.errors import InputError
from graphkit.export.files import check_target
from graphkit.pipeline import STAGES, run_stage
from graphkit.settings import SettingsError, StageSettings
from graphkit.store import CaseStore

ORDER = (
    "ingest",
    "resolve",
    "build",
    "analyze",
    "signals",
    "predict-links",
    "colocate",
    "devices",
    "hotspots",
    "report",
    "export",
)


def test_every_stage_is_listed_in_data_flow_order() -> None:
    assert tuple(STAGES) == ORDER


@pytest.mark.parametrize("name", ORDER)
def test_stage_has_frozen_settings_and_a_run_taking_store_and_settings(name: str) -> None:
    entry = STAGES[name]
    cls = entry.settings_class()
    assert issubclass(cls, StageSettings) and dataclasses.is_dataclass(cls)
    assert cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    params = list(inspect.signature(entry.run()).parameters.values())
    assert [p.name for p in params[:2]] == ["store", "settings"]
    # anything else a run takes is optional and named (progress display, acting person)
    assert all(p.kind is p.KEYWORD_ONLY and p.default is not p.empty for p in params[2:])
    # defaults live in the Settings class: a stage's keyword form, where it has one, has none
    # of its own besides the store and what the Settings lack
    fields = {f.name for f in dataclasses.fields(cls)}
    module = inspect.getmodule(entry.run())
    for helper in ("ingest_file", "build_graph", "write_report", "export_case"):
        fn = getattr(module, helper, None)
        if fn is not None:
            own = {
                p.name
                for p in inspect.signature(fn).parameters.values()
                if p.default is not p.empty and p.kind is not p.VAR_KEYWORD
            }
            assert not own & fields, f"{helper} repeats defaults of {sorted(own & fields)}"


def test_run_stage_refuses_another_stages_settings(tmp_path: Path) -> None:
    from graphkit.report import Settings as ReportSettings

    store = CaseStore.init(tmp_path / "case", name="shape")
    with pytest.raises(TypeError, match="stage export takes Settings"):
        run_stage(store, "export", ReportSettings())


@pytest.mark.parametrize(
    ("make", "field", "problem"),
    [
        (lambda: _settings("report", fmt="pdf"), "fmt", "unknown report format 'pdf'"),
        (lambda: _settings("report", seed=-1), "seed", "must be 0 or more"),
        (
            lambda: _settings("export", fmt="json", out=Path("x"), purpose=" ", recipient="r"),
            "purpose",
            "needs a purpose",
        ),
        (
            lambda: _settings("export", fmt="xls", out=Path("x"), purpose="p", recipient="r"),
            "fmt",
            "unknown export format 'xls'",
        ),
        (lambda: _settings("ingest", path=Path("x"), kind="emails"), "kind", "unknown kind"),
        (
            lambda: _settings("ingest", path=Path("x"), kind="cdr", source_name="a b"),
            "source_name",
            "must be letters, digits",
        ),
    ],
)
def test_settings_errors_name_the_field(make: object, field: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        make()  # type: ignore[operator]
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ") and problem in str(caught.value)
    assert "--" not in str(caught.value)  # the library never names a command-line flag


def _settings(stage: str, **values: object) -> StageSettings:
    settings: StageSettings = STAGES[stage].settings_class()(**values)
    return settings


def test_output_checks_name_fields_and_the_cli_turns_them_into_flags(tmp_path: Path) -> None:
    existing = tmp_path / "old.json"
    existing.write_text("{}")
    with pytest.raises(SettingsError) as caught:
        check_target(existing)
    assert str(caught.value) == f"out: {existing} exists; use `force` to replace it"
    with (
        pytest.raises(InputError) as translated,
        flag_names({"out": "--out", "force": "--force"}),
    ):
        check_target(existing)
    assert str(translated.value) == f"--out: {existing} exists; use --force to replace it"
    with pytest.raises(SettingsError, match=r"^geojson: .* is a directory$"):
        check_target(tmp_path, field="geojson")


def test_cli_lists_the_export_formats_the_exporters_have() -> None:
    from graphkit.cli.export import FORMATS as listed
    from graphkit.export import FORMATS

    assert tuple(listed) == tuple(FORMATS)


def _gk(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphkit", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_errors_name_flags_not_fields(tmp_path: Path) -> None:
    case = tmp_path / "case"
    assert _gk("init", case).returncode == 0
    calls = tmp_path / "calls.csv"
    calls.write_text("caller,callee,start\n+447700900001,+447700900002,2024-01-01T10:00:00Z\n")
    r = _gk("ingest", case, calls, "--kind", "cdr", "--source-name", "bad name")
    assert r.returncode == 2
    assert "--source-name: 'bad name' must be letters" in r.stderr, r.stderr
    r = _gk("report", case, "--format", "pdf")
    assert r.returncode == 2 and "--format: unknown report format 'pdf'" in r.stderr, r.stderr
    out = tmp_path / "x.json"
    out.write_text("{}")
    r = _gk("export", case, "-f", "json", "-o", out, "--purpose", "p", "--recipient", "r")
    assert r.returncode == 2
    assert f"--out: {out} exists; use --force to replace it" in r.stderr, r.stderr
