"""`graphkit predict-links CASE_DIR`: rank likely unseen ties, stored as hypotheses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gnn.settings import PredictSettings
from graphkit.cli._common import audited, console, flag_names, open_case, progress, render

__all__ = ["register"]

_DEFAULT = PredictSettings()  # the option defaults are the settings' own
#: settings field -> the option that sets it (errors name the option)
FLAGS = {
    "top_k": "--top",
    "epochs": "--epochs",
    "split": "--split",
    "target_layers": "--predict-layer",
    "source_layers": "--from-layer",
}


_ALONE = "_alone"  # an index of shared neighbours with its pairs sharing none tied at 0


def _metric_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    metrics = summary["metrics"]
    rows = []
    ranking = metrics.get("test_ranking", {})
    for scorer in metrics["test"]:
        if scorer.endswith(_ALONE):  # in --json and the model card; the note says what they are
            continue
        val, test = metrics["val"][scorer], metrics["test"][scorer]
        top = ranking.get(scorer, {})
        rows.append(
            {
                "scorer": scorer,
                "val_auc": val["auc"],
                "test_auc": test["auc"],
                "test_ap": test["ap"],
                "test_hits@50": top.get("hits@50"),
                "test_hits@100": top.get("hits@100"),
            }
        )
    return rows


def _metric_note(summary: dict[str, Any]) -> str:
    """What the table's columns count, in words (printed under it)."""
    selection = summary.get("selection") or {}
    candidates = (selection.get("candidates") or {}).get("test")
    among = f"the first k of {int(candidates):,} candidate pairs" if candidates else "the first k"
    return (
        "AUC, AP: held-out ties scored against as many random non-ties. "
        f"hits@k: held-out ties among {among}; equal scores share the places they straddle, "
        "so a heuristic with many ties (common neighbours) can hold a fractional count. "
        "Adamic-Adar, resource allocation and common neighbours rank the pairs that share no "
        f"contact below the others by a path index (each index alone: --json, `*{_ALONE}`). "
        f"selected: the scorer the stored list is ranked by ({summary.get('ranked_by', '?')})."
        + (
            f" {summary['same_user_pairs_left_out']:,} pair(s) of actors that a likely hand-off "
            "joins (one user's two numbers) are never suggested."
            if summary.get("same_user_pairs_left_out")
            else ""
        )
    )


def predict_links(
    case_dir: Annotated[Path, typer.Argument(help="The case directory.", show_default=False)],
    top: Annotated[
        int, typer.Option("--top", help="How many predictions to store.")
    ] = _DEFAULT.top_k,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (splits, training).")
    ] = _DEFAULT.seed,
    epochs: Annotated[int, typer.Option("--epochs", help="Training epochs.")] = _DEFAULT.epochs,
    split: Annotated[
        str,
        typer.Option(
            "--split", help="auto (random, thin ties first) | random (uniform) | temporal."
        ),
    ] = _DEFAULT.split,
    predict_layer: Annotated[
        list[str] | None,
        typer.Option("--predict-layer", help="Layer to predict (repeatable; default: all)."),
    ] = None,
    from_layer: Annotated[
        list[str] | None,
        typer.Option(
            "--from-layer", help="Predict from these layers only (repeatable): cross-layer."
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Train a link predictor on the case's actor graph and store the top predictions.

    Prints validation and test AUC / AP of the model beside the classic heuristics. The
    predictions are stored as PREDICTED_LINK hypotheses with score, model version and
    evidence; read them with `graphkit show CASE_DIR predicted-links`.

    Example: graphkit predict-links cases/op-lighthouse --top 50 --seed 7

    Cross-layer example (which meetings do the calls suggest?):
    graphkit predict-links CASE --from-layer calls --predict-layer contact:meeting
    """
    from graphkit.pipeline import run_stage

    with flag_names(FLAGS):
        settings = PredictSettings(
            top_k=top,
            seed=seed,
            epochs=epochs,
            split=split,
            target_layers=tuple(predict_layer or ()),
            source_layers=tuple(from_layer or ()),
        )
    store = open_case(case_dir)
    inputs = {"manifest": store.manifest_sha256()}
    with (
        audited(store, command="predict-links", operation="combination", inputs=inputs) as entry,
        progress() as bar,
    ):
        bar.add_task("training the link predictor", total=None)
        summary = run_stage(store, "predict-links", settings)
        entry.outputs["model_sha256"] = summary["weights_sha256"]
        entry.detail.update(
            {"model_version": summary["model_version"], "stored": summary["stored"], "seed": seed}
        )
    if json_output:
        render([summary], json_output=True, title="predict-links")
        return
    render(
        _metric_rows(summary),
        json_output=False,
        title=f"link prediction ({summary['split']['kind']} split): validation and test",
    )
    console.print(_metric_note(summary), highlight=False)
    if summary.get("fallback"):
        console.print(summary["fallback"])
    console.print(
        f"stored {summary['stored']} predicted links as hypotheses "
        f"(model {summary['model_version']}, {summary['train_seconds']} s); "
        f"see `graphkit show {case_dir} predicted-links`"
    )


def register(app: typer.Typer) -> None:
    app.command("predict-links")(predict_links)
