"""`graphkit publish`, `graphkit export-neo4j-import`, `graphkit query`: the case in Neo4j."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import typer

from graphkit.cli._common import ACTOR, audited, console, open_case, progress, render
from graphkit.errors import InputError
from graphkit.store import CaseStore

__all__ = ["register"]

logger = logging.getLogger(__name__)

_URI_HELP = (
    "Neo4j URI, e.g. neo4j+s://graph.example.org:7687 (TLS, recommended) or bolt://localhost:7687."
)
_SECURE = ("neo4j+s", "neo4j+ssc", "bolt+s", "bolt+ssc")

UriOpt = Annotated[str | None, typer.Option("--uri", envvar="NEO4J_URI", help=_URI_HELP)]
UserOpt = Annotated[str, typer.Option("--user", envvar="NEO4J_USER", help="Neo4j user.")]
PasswordEnvOpt = Annotated[
    str,
    typer.Option(
        "--password-env", help="Environment variable holding the password (never an option)."
    ),
]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", envvar="NEO4J_DATABASE", help="Database (default: the server's)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _runner(uri: str | None, user: str, password_env: str, database: str | None) -> Any:
    from graphkit.publish import Neo4jRunner

    if not uri:
        raise InputError("give --uri (or set NEO4J_URI), e.g. --uri neo4j+s://host:7687")
    parts = urlsplit(uri)
    if parts.scheme not in _SECURE and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        logger.warning("%s is not encrypted: use neo4j+s:// outside your own machine", uri)
    password = os.environ.get(password_env)
    runner = Neo4jRunner(uri, user=user, password=password, database=database)
    runner.verify()
    return runner


def _safe_uri(uri: str) -> str:
    parts = urlsplit(uri)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")


def publish(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    uri: UriOpt = None,
    user: UserOpt = "neo4j",
    password_env: PasswordEnvOpt = "NEO4J_PASSWORD",
    database: DatabaseOpt = None,
    purpose: Annotated[
        str, typer.Option("--purpose", help="Why the case is disclosed to Neo4j (audited).")
    ] = "investigation in Neo4j Browser",
    batch_rows: Annotated[
        int, typer.Option("--batch-rows", min=1, help="Rows per transaction.")
    ] = 10_000,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print statements and row counts; connect to nothing.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """Publish the case graph with its analysis results to Neo4j, idempotently.

    Writes in batches (one transaction each, retried on transient errors), then removes what
    an earlier publish of this case left behind. Re-running, also after a crash, gives the
    same graph. The password is read from the environment variable --password-env names.

    Example: NEO4J_PASSWORD=... graphkit publish cases/op-lighthouse --uri neo4j+s://graph:7687
    """
    from graphkit.publish import RecordingRunner, new_run_id, publish_case

    store = open_case(case_dir)
    actor = ACTOR["actor"] or _default_actor()
    runner: Any = RecordingRunner() if dry_run else _runner(uri, user, password_env, database)
    run_id = new_run_id()
    operation = "consultation" if dry_run else "disclosure"
    inputs = {"manifest": store.manifest_sha256()}
    try:
        with (
            audited(store, command="publish", operation=operation, inputs=inputs) as entry,
            store.connect(read_only=True) as con,
            progress() as bar,
        ):
            task = bar.add_task("publishing", total=None)

            def on_progress(step: str, done: int, total: int) -> None:
                bar.update(task, completed=done, total=total, description=step)

            summary = publish_case(
                con,
                runner,
                case_id=store.case_id,
                actor=actor,
                purpose=purpose,
                run_id=run_id,
                batch_rows=batch_rows,
                on_progress=on_progress,
            )
            totals = summary.totals()
            entry.outputs = {"run_id": run_id}
            if not dry_run and uri:
                entry.outputs["neo4j"] = _safe_uri(uri)
                entry.outputs["database"] = database or "(default)"
            entry.detail = {"purpose": purpose, "dry_run": dry_run, "totals": totals}
            if not dry_run:
                store.record_stage(
                    "publish",
                    settings={
                        "uri": _safe_uri(uri or ""),
                        "database": database,
                        "batch_rows": batch_rows,
                    },
                    summary={"run_id": run_id, **totals},
                )
    finally:
        if not dry_run:
            runner.close()
    _report_publish(store, summary, runner if dry_run else None, json_output=json_output)


def _default_actor() -> str:
    from graphkit.audit import default_actor

    return default_actor()


def _report_publish(store: CaseStore, summary: Any, recorder: Any, *, json_output: bool) -> None:
    statements: dict[str, str] = {}
    if recorder is not None:
        for call in recorder.calls:
            statements.setdefault(call.metadata["step"], call.statement)
    rows = [
        {
            "step": s.name,
            "rows": s.rows,
            "transactions": s.transactions,
            "created": s.counters.get("nodes_created", 0)
            + s.counters.get("relationships_created", 0),
            "deleted": s.counters.get("nodes_deleted", 0)
            + s.counters.get("relationships_deleted", 0),
            "skipped": s.skipped,
            "merged": s.merged,
        }
        for s in summary.steps
        if s.rows or s.skipped or s.counters or not s.name.startswith(("schema/", "write/stale"))
    ]
    if recorder is not None:  # nothing ran: there are no server counters to show
        for row in rows:
            del row["created"], row["deleted"]
    if json_output:
        out: dict[str, Any] = {
            "case_id": summary.case_id,
            "run_id": summary.run_id,
            "dry_run": recorder is not None,
            "totals": summary.totals(),
            "steps": rows,
        }
        if recorder is not None:
            out["statements"] = statements
        render([out], json_output=True, title="publish")
        return
    if recorder is not None:
        for name, text in statements.items():
            console.print(f"[bold]// {name}[/bold]", highlight=False)
            console.print(text + ";", highlight=False, markup=False)
    render(rows, json_output=False, title=f"publish run {summary.run_id}")
    verb = "would write" if recorder is not None else "wrote"
    console.print(
        f"{verb} {summary.totals()['rows']} rows in {summary.duration_s:.1f} s. "
        f"In Browser: :param case_id => '{summary.case_id}'",
        highlight=False,
    )


def export_neo4j_import_cmd(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    out_dir: Annotated[Path, typer.Argument(help="Empty directory for the CSV files.")],
    database: Annotated[str, typer.Option("--database", help="Database to create.")] = "neo4j",
    import_dir: Annotated[
        str | None,
        typer.Option("--import-dir", help="Where neo4j-admin sees OUT_DIR, e.g. /import."),
    ] = None,
    purpose: Annotated[
        str, typer.Option(help="Why the case leaves graphkit (recorded in the audit log).")
    ] = "",
    recipient: Annotated[
        str, typer.Option(help="Who receives the files (recorded in the audit log).")
    ] = "",
    json_output: JsonOpt = False,
) -> None:
    """Write CSVs and the `neo4j-admin database import full` command for a first, bulk load.

    The import replaces the database and needs it stopped; afterwards run schema.cypher with
    cypher-shell. Later updates go through `graphkit publish`.

    Like every export it needs a purpose and a recipient, is audited as a disclosure, and may
    not write into the case directory.

    Example: graphkit export-neo4j-import cases/op-lighthouse import/ --import-dir /import
    --purpose "bulk load" --recipient "graph team"
    """
    from graphkit.audit import sha256_file
    from graphkit.publish import export_neo4j_import, new_run_id

    if not purpose.strip() or not recipient.strip():
        raise InputError("an export needs a --purpose and a --recipient")
    store = open_case(case_dir)
    real, case = Path(os.path.realpath(out_dir)), Path(os.path.realpath(store.path))
    if real == case or case in real.parents:
        raise InputError(f"{out_dir}: exports may not be written inside the case directory")
    if out_dir.is_symlink():
        raise InputError(f"{out_dir} is a symbolic link; refusing to follow it")
    inputs = {"manifest": store.manifest_sha256()}
    with (
        audited(
            store,
            command="export-neo4j-import",
            operation="disclosure",
            inputs=inputs,
            external_access=True,  # COPY ... TO the chosen folder
        ) as e,
        store.connect(read_only=True) as con,
    ):
        e.detail.update(purpose=purpose, recipient=recipient, out_dir=str(out_dir))
        result = export_neo4j_import(
            con,
            out_dir,
            case_id=store.case_id,
            run_id=new_run_id(),
            database=database,
            import_dir=import_dir,
            stage=e.stage_file,
        )
        e.outputs = {Path(final).name: sha256_file(Path(tmp)) for tmp, final in e.files}
        e.detail["rows"] = sum(result.files.values())
    rows = [{"file": k, "rows": v} for k, v in result.files.items()]
    if json_output:
        render(
            [{"files": rows, "command": result.import_command, "schema": result.schema_file}],
            json_output=True,
            title="export",
        )
        return
    render(rows, json_output=False, title=f"neo4j-admin import files in {out_dir}")
    console.print("Stop the database, then run:", highlight=False)
    console.print(result.command_line(), highlight=False, markup=False, soft_wrap=True)
    console.print(f"then: cypher-shell -f {out_dir / result.schema_file}", highlight=False)


def query(
    case_dir: Annotated[
        Path | None, typer.Argument(help="The case directory.", show_default=False)
    ] = None,
    name: Annotated[
        str | None, typer.Argument(help="Query name (see --list).", show_default=False)
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A parameter as name=value; repeat for more."),
    ] = None,
    uri: UriOpt = None,
    user: UserOpt = "neo4j",
    password_env: PasswordEnvOpt = "NEO4J_PASSWORD",
    database: DatabaseOpt = None,
    list_only: Annotated[bool, typer.Option("--list", help="List the library and exit.")] = False,
    json_output: JsonOpt = False,
) -> None:
    """Run a query of the Cypher library on the case in Neo4j and print the rows.

    Parameters are typed from the query's header; case_id comes from the case.

    Example: graphkit query cases/op-lighthouse money_trail -p account_id=IT60X... -p hops=3
    """
    from graphkit.publish import bind_parameters, list_queries, load_query, run_query

    if list_only:
        render(
            [
                {
                    "query": q.name,
                    "title": q.title,
                    "parameters": ", ".join(
                        f"{p.name} {p.type}" + ("" if p.required else f" = {p.value}")
                        for p in q.params
                        if p.name != "case_id"
                    ),
                }
                for q in list_queries()
            ],
            json_output=json_output,
            title="query library",
        )
        return
    if case_dir is None or name is None:
        raise InputError("give the case directory and a query name (--list shows them)")
    store = open_case(case_dir)
    q = load_query(name)
    raw = dict(_split_param(p) for p in (param or []))
    params = bind_parameters(q, raw, case_id=store.case_id)
    actor = ACTOR["actor"] or _default_actor()
    runner = _runner(uri, user, password_env, database)
    shown = {k: v for k, v in params.items() if k != "case_id"}
    try:
        with audited(
            store, command=f"query {name}", operation="consultation", inputs={"query": name}
        ) as entry:
            meta = {"case": store.case_id, "actor": actor, "purpose": "query"}
            rows = run_query(runner, q, params, metadata=meta)
            entry.detail = {"parameters": shown, "rows": len(rows), "uri": _safe_uri(uri or "")}
    finally:
        runner.close()
    render(rows, json_output=json_output, title=q.title)


def _split_param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise InputError(f"--param takes name=value, not {text!r}")
    return name.strip(), value


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.command("export-neo4j-import")(export_neo4j_import_cmd)
    app.command("query")(query)
