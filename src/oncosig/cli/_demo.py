"""CLI: ``oncosig demo`` — the main job end to end on the embedded 7-cohort TCGA data.

Cross-validates logistic regression (C=0.1 on standardized log-CPM, the reference
baseline) and a compact GeneXNet on the same participant-grouped folds, prints overall and
per-class accuracy, and writes metrics tables, a confusion-matrix PNG, per-fold training
curves and ``run.json``.  GeneXNet is then fitted on all samples, saved
(``genexnet.safetensors``) and explained with Gene-CAM (``genecam/``: top genes per
cohort, heatmaps, GO-BP enrichment), so ``oncosig report`` shows the whole job.
The configuration is sized to finish in well under 5 minutes on 2 CPU cores.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from oncosig.cli._app import app
from oncosig.cli._common import OverwriteOpt, SeedOpt

DEMO_EPOCHS = 30  # GeneXNet: the "compact" preset (1,024 genes, 32 x 32 grid), on CPU
DEMO_LOGREG: dict[str, Any] = {"C": 0.1}


DEMO_OUTPUTS = (
    "cv_metrics.tsv",
    "summary.csv",
    "per_class_accuracy.csv",
    "confusion_matrix.png",
    "genexnet.safetensors",
    "genecam/top_genes.csv",
)


def _check_out(out: Path, *, overwrite: bool) -> None:
    """Refuse to replace an earlier demo run's outputs unless ``--overwrite`` is given."""
    from oncosig._errors import OncosigInputError
    from oncosig._repro import RUN_RECORD

    if out.exists() and not out.is_dir():
        raise OncosigInputError("--out must be a folder, not a file", path=out)
    existing = [n for n in (*DEMO_OUTPUTS, RUN_RECORD) if (out / n).exists()]
    if existing and not overwrite:
        raise OncosigInputError(
            f"holds the outputs of an earlier run ({', '.join(existing)}); "
            "pass --overwrite to replace them or choose another --out",
            path=out,
        )


@app.command("demo")
def demo(
    out: Path = typer.Option(
        Path("demo-out"), "--out", help="Folder for metrics, plot and run.json."
    ),
    folds: int = typer.Option(3, "--folds", min=2, max=10, help="Cross-validation folds."),
    epochs: int = typer.Option(DEMO_EPOCHS, "--epochs", min=1, help="GeneXNet epoch limit."),
    threads: int = typer.Option(
        1, "--threads", min=1, help="torch CPU threads (1 suits this small network best)."
    ),
    seed: int = SeedOpt,
    overwrite: bool = OverwriteOpt,
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
) -> None:
    """Cross-validate GeneXNet beside logistic regression on the embedded TCGA data."""
    import torch
    from rich.console import Console

    from oncosig._atomic import write_table
    from oncosig._repro import seed_everything, write_run_record
    from oncosig.cli._genexnet_cv import print_cv_tables, review_counts, write_confusions
    from oncosig.datasets import tcga7
    from oncosig.genexnet import cross_validate

    _check_out(out, overwrite=overwrite)
    torch.set_num_threads(threads)
    console = Console()
    t0 = time.perf_counter()
    seed_everything(seed)
    adata = tcga7()
    console.print(
        f"[bold]oncosig demo[/bold]: {adata.n_obs} TCGA tumours x {adata.n_vars} genes, "
        f"{adata.obs['project'].nunique()} cohorts; {folds}-fold CV grouped by participant"
    )
    from oncosig.genexnet import preset

    gx = preset("compact", max_epochs=epochs, accelerator="cpu")
    result = cross_validate(
        adata,
        label_key="project",
        models=[("logreg", "logreg", DEMO_LOGREG), ("genexnet", "genexnet", gx)],
        n_splits=folds,
        seed=seed,
        out_dir=out,
        resume=False,
        progress=progress,
    )
    summary = result.summary()
    print_cv_tables(result, console)
    per_class = result.per_class_table()
    flags = review_counts(result)["genexnet"]
    console.print(
        f"GeneXNet flagged {flags['flagged']} of {flags['n_samples']} out-of-fold predictions "
        f"for review (column `review` of predictions/genexnet_fold*.tsv); they hold "
        f"{flags['errors_flagged']} of its {flags['errors']} errors, and the unflagged samples "
        f"are {flags['accuracy_unflagged']:.1%} right"
    )

    write_table(summary, out / "summary.csv")
    write_table(per_class, out / "per_class_accuracy.csv")
    write_confusions(result, out / "confusion_matrix.png")
    genecam = _fit_and_explain(adata, gx, out=out, seed=seed, overwrite=overwrite, console=console)
    elapsed = time.perf_counter() - t0
    write_run_record(
        out,
        command="oncosig demo",
        config={
            "folds": folds,
            "threads": threads,
            "genexnet": gx,
            "logreg": DEMO_LOGREG,
            "label": "project",
        },
        seed=seed,
        extra={
            "summary": summary.reset_index().to_dict(orient="records"),
            "seconds": round(elapsed, 1),
            "n_samples": int(adata.n_obs),
            "n_genes": int(adata.n_vars),
            "genecam": genecam,
            "genexnet_review": flags,
        },
    )
    console.print(
        f"wrote metrics, plots, genexnet.safetensors, genecam/ and run.json to {out} in "
        f"{elapsed:.0f} s; `oncosig report {out} --out report.html` makes the HTML report"
    )


def _fit_and_explain(
    adata: Any, params: dict[str, Any], *, out: Path, seed: int, overwrite: bool, console: Any
) -> dict[str, Any]:
    """Fit GeneXNet on every sample, save it, its training curve and its Gene-CAM."""
    import pandas as pd

    from oncosig._atomic import write_table
    from oncosig.genexnet import GeneXNet
    from oncosig.interpret import explain_to_dir

    model = GeneXNet(**{**params, "seed": seed}).fit(adata, label_key="project")
    model.save(out / "genexnet.safetensors", overwrite=overwrite)
    if model.history_:
        write_table(
            pd.DataFrame(model.history_), out / "training" / "genexnet_all.csv", index=False
        )
    summary = explain_to_dir(
        model, adata, out=out / "genecam", truth=adata.obs["project"], overwrite=overwrite
    )
    console.print(
        f"GeneXNet fitted on all {adata.n_obs} samples; Gene-CAM top genes of "
        f"{len(summary['classes'])} cohorts -> {out / 'genecam'}"
    )
    return summary
