"""``oncosig degnext``: train | transfer | evaluate | predict | benchmark."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from oncosig.cli._app import app
from oncosig.cli._common import JsonOpt, OverwriteOpt, SeedOpt, echo_json, prepare_outputs

degnext_app = typer.Typer(
    help="DEGnext gene classifier (DR / UR / neutral): two-level training, transfer, "
    "evaluation, prediction and the paper benchmark.",
    no_args_is_help=True,
)
app.add_typer(degnext_app, name="degnext")

ArchOpt = typer.Option(
    "degnext", "--arch", help="Network: degnext (published widths) or degnext_fast."
)
EpochsOpt = typer.Option(50, "--epochs", min=1, help="Level-1 epochs (paper 50).")
FtEpochsOpt = typer.Option(31, "--finetune-epochs", min=1, help="Level-2 epochs (paper 31).")
LrOpt = typer.Option(1e-4, "--lr", min=0.0, help="Adam learning rate (paper 1e-4).")
PatienceOpt = typer.Option(
    0, "--patience", min=0, help="Early stopping patience (0 = fixed epochs)."
)
ThreadsOpt = typer.Option(None, "--threads", min=1, help="torch threads (default: torch's choice).")
PrecisionOpt = typer.Option("bf16-mixed", "--precision", help="bf16-mixed or 32-true.")
ProgressOpt = typer.Option(True, "--progress/--no-progress", help="Lightning progress bars.")
CheckpointDirOpt = typer.Option(
    None,
    "--checkpoint-dir",
    help="Folder of the resumable epoch checkpoints (default: OUT.resume/; removed once OUT "
    "is written).",
)
RowQuantilesOpt = typer.Option(
    None,
    "--row-quantiles",
    min=2,
    help="Resample every gene's row to N quantiles of its normal and N of its tumour samples "
    "(rows of the same length for every cohort; helps transfer to cohorts with few normals).",
)
ResumeOpt = typer.Option(
    False,
    "--resume",
    help="Continue a killed run from its checkpoints (same data and options): the result "
    "equals an uninterrupted run's.",
)


def _model(
    *,
    arch: str,
    epochs: int,
    finetune_epochs: int,
    lr: float,
    patience: int,
    seed: int,
    threads: int | None,
    precision: str,
    progress: bool,
    row_quantiles: int | None = None,
) -> Any:
    from oncosig.degnext import DEGnext

    return DEGnext(
        arch=arch,
        max_epochs=epochs,
        finetune_epochs=finetune_epochs,
        lr=lr,
        patience=patience,
        seed=seed,
        num_threads=threads,
        precision=precision,
        progress=progress,
        row_quantiles=row_quantiles,
    )


def _short(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("accuracy", "precision", "recall", "f1", "mcc", "roc_auc", "n_genes")
    return {k: m[k] for k in keys}


def _check_out(path: Path, overwrite: bool) -> None:
    from oncosig._atomic import check_can_write

    check_can_write(path, overwrite=overwrite)


@degnext_app.command("train")
def train_cmd(
    data: Path = typer.Option(..., "--data", help="DEGnext-layout folder."),
    cohort: str = typer.Option(..., "--cohort", help="Cohort, e.g. TCGA-READ."),
    out: Path = typer.Option(..., "--out", help="Checkpoint (.safetensors) to write."),
    arch: str = ArchOpt,
    epochs: int = EpochsOpt,
    finetune_epochs: int = FtEpochsOpt,
    lr: float = LrOpt,
    patience: int = PatienceOpt,
    seed: int = SeedOpt,
    threads: int | None = ThreadsOpt,
    precision: str = PrecisionOpt,
    progress: bool = ProgressOpt,
    row_quantiles: int | None = RowQuantilesOpt,
    checkpoint_dir: Path | None = CheckpointDirOpt,
    resume: bool = ResumeOpt,
    overwrite: bool = OverwriteOpt,
    as_json: bool = JsonOpt,
) -> None:
    """General learning on one cohort: level 1 on T1 (T2 if T1 is missing), level 2 on F1.

    Checkpoints are written at the end of every epoch; after a crash or a kill, the same
    command with --resume continues from them.
    """
    from oncosig._repro import write_run_record
    from oncosig._resume import remove_checkpoints
    from oncosig.io import read_degnext

    ckpt_names = ("level1.ckpt", "level2.ckpt")
    ckpt_dir = prepare_outputs(
        out, ckpt_names, checkpoint_dir=checkpoint_dir, resume=resume, overwrite=overwrite
    )
    adata = read_degnext(data, cohort=cohort)
    present = set(adata.obs["split"].astype(str))
    l1 = "T1" if "T1" in present else "T2"
    if l1 not in present or "F1" not in present:
        raise ValueError(f"{cohort}: training needs T1 or T2 and F1; present: {sorted(present)}")
    model = _model(
        arch=arch,
        epochs=epochs,
        finetune_epochs=finetune_epochs,
        lr=lr,
        patience=patience,
        seed=seed,
        threads=threads,
        precision=precision,
        progress=progress,
        row_quantiles=row_quantiles,
    )
    model.fit(adata, splits=[l1], checkpoint_dir=ckpt_dir, resume=resume)
    result: dict[str, Any] = {"level1_split": l1}
    if l1 == "T1" and "T2" in present:
        result["T2"] = _short(model.evaluate(adata, splits=["T2"], task="ternary"))
    model.finetune(adata, splits=["F1"], checkpoint_dir=ckpt_dir, resume=resume)
    if "T3" in present:
        result["T3"] = _short(model.evaluate(adata, splits=["T3"]))
    model.save(out, overwrite=overwrite)
    write_run_record(
        out,
        command="degnext train",
        config={**model.config, "data": str(data), "cohort": cohort},
        seed=seed,
        extra={"metrics": result, "resumed": resume},
    )
    remove_checkpoints(ckpt_dir, ckpt_names)
    if as_json:
        echo_json(result)
    else:
        typer.echo(json.dumps(result))


@degnext_app.command("transfer")
def transfer_cmd(
    data: Path = typer.Option(
        ..., "--data", help="DEGnext-layout folder with the training cohorts."
    ),
    out: Path = typer.Option(..., "--out", help="Checkpoint (.safetensors) to write."),
    cohorts: str = typer.Option(
        ",".join(
            c[5:]
            for c in (
                "TCGA-BRCA",
                "TCGA-KIRC",
                "TCGA-KIRP",
                "TCGA-LIHC",
                "TCGA-LUAD",
                "TCGA-LUSC",
                "TCGA-PRAD",
                "TCGA-THCA",
                "TCGA-UCEC",
            )
        ),
        "--cohorts",
        help="Comma-separated training cohorts (those present are used).",
    ),
    arch: str = ArchOpt,
    epochs: int = EpochsOpt,
    finetune_epochs: int = FtEpochsOpt,
    lr: float = LrOpt,
    patience: int = PatienceOpt,
    seed: int = SeedOpt,
    threads: int | None = ThreadsOpt,
    precision: str = PrecisionOpt,
    progress: bool = ProgressOpt,
    row_quantiles: int | None = RowQuantilesOpt,
    overwrite: bool = OverwriteOpt,
) -> None:
    """Train the transfer model (level 1 on T1+T2, level 2 on F1+T3 of the training cohorts)."""
    from oncosig._repro import write_run_record
    from oncosig.degnext import train_transfer

    _check_out(out, overwrite)
    model = _model(
        arch=arch,
        epochs=epochs,
        finetune_epochs=finetune_epochs,
        lr=lr,
        patience=patience,
        seed=seed,
        threads=threads,
        precision=precision,
        progress=progress,
        row_quantiles=row_quantiles,
    )
    model, summary = train_transfer(
        data, cohorts=[c for c in cohorts.split(",") if c.strip()], model=model
    )
    model.save(out, overwrite=overwrite)
    write_run_record(
        out,
        command="degnext transfer",
        config={**model.config, "data": str(data)},
        seed=seed,
        extra={"splits_used": summary},
    )
    typer.echo(f"wrote {out} (level 1: {', '.join(summary['level1'])})")


@degnext_app.command("evaluate")
def evaluate_cmd(
    model_path: Path = typer.Option(..., "--model", help="Checkpoint from train/transfer."),
    data: Path = typer.Option(..., "--data", help="Folder holding the cohort's DEGnext files."),
    cohort: str = typer.Option(..., "--cohort", help="Cohort, e.g. TCGA-KICH."),
    splits: str = typer.Option("F1,T3", "--splits", help="Bio splits to score."),
    out: Path | None = typer.Option(None, "--out", help="Also write the metrics as JSON here."),
    overwrite: bool = OverwriteOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Score a cohort's bio set (it may never have been seen in training)."""
    from oncosig._atomic import write_text
    from oncosig._repro import write_run_record
    from oncosig.degnext import DEGnext, evaluate_cohort

    if out is not None:
        _check_out(out, overwrite)
    model = DEGnext.load(model_path)
    m = evaluate_cohort(model, data, cohort=cohort, splits=[s.strip() for s in splits.split(",")])
    res = _short(m)
    if out is not None:
        write_text(
            out,
            json.dumps({**res, "confusion": m["confusion"]}, indent=2) + "\n",
            overwrite=overwrite,
        )
        write_run_record(
            out,
            command="degnext evaluate",
            config={
                "model": str(model_path),
                "data": str(data),
                "cohort": cohort,
                "splits": splits,
            },
            extra={"metrics": res},
        )
    if as_json:
        echo_json(res)
    else:
        for k, v in res.items():
            typer.echo(f"{k}\t{v}")


@degnext_app.command("predict")
def predict_cmd(
    counts: Path = typer.Argument(..., help="Count matrix (any format oncosig.io.read reads)."),
    model_path: Path = typer.Option(..., "--model", help="Checkpoint from train/transfer."),
    out: Path = typer.Option(..., "--out", help="CSV: gene, label, p_DR, p_UR, p_neutral."),
    groups: Path | None = typer.Option(None, "--groups", help="TSV: sample<TAB>normal|tumor."),
    normal_first: int | None = typer.Option(
        None, "--normal-first", min=1, help="First N samples are normal."
    ),
    overwrite: bool = OverwriteOpt,
) -> None:
    """Label every gene of an unlabelled count matrix as DR / UR / neutral."""
    import pandas as pd

    from oncosig._atomic import write_table
    from oncosig._repro import write_run_record
    from oncosig.degnext import DEGnext, predict_table, to_gene_rows
    from oncosig.io import read

    _check_out(out, overwrite)
    model = DEGnext.load(model_path)
    adata = read(counts)
    g = None
    if groups is not None:
        tab = pd.read_csv(groups, sep="\t", header=None, comment="#", dtype=str)
        if tab.shape[1] < 2:
            raise ValueError(f"{groups}: need two tab-separated columns: sample, normal|tumor")
        if str(tab.iloc[0, 1]).strip().lower() not in {"normal", "tumor"}:
            tab = tab.iloc[1:]
        g = pd.Series(tab.iloc[:, 1].to_numpy(), index=tab.iloc[:, 0].astype(str).to_numpy())
    table = predict_table(model, to_gene_rows(adata, groups=g, normal_first=normal_first))
    write_table(table, out, overwrite=overwrite)
    write_run_record(
        out,
        command="degnext predict",
        config={
            "model": str(model_path),
            "counts": str(counts),
            "groups": str(groups),
            "normal_first": normal_first,
        },
        extra={"n_genes": len(table), "labels": table["label"].value_counts().to_dict()},
    )
    typer.echo(f"wrote {out} ({len(table)} genes)")


@degnext_app.command("benchmark")
def benchmark_cmd(
    data: Path = typer.Option(
        ..., "--data", help="DEGnext-layout folder (../shared/data/degnext)."
    ),
    out: Path = typer.Option(..., "--out", help="Output folder for tables, plots and degnext.md."),
    epochs: int = typer.Option(20, "--epochs", min=1, help="Max level-1 epochs (early stopping)."),
    finetune_epochs: int = typer.Option(31, "--finetune-epochs", min=1, help="Max level-2 epochs."),
    cohorts: str | None = typer.Option(
        None, "--cohorts", help="General-learning cohorts (default: all)."
    ),
    arch: str = typer.Option("degnext_fast", "--arch", help="Network for the benchmark."),
    lr: float = typer.Option(1e-3, "--lr", min=0.0, help="Adam learning rate."),
    patience: int = typer.Option(
        10, "--patience", min=0, help="Early-stopping patience (0 = fixed epochs)."
    ),
    cv_folds: int = typer.Option(
        0, "--cv-folds", min=0, help="k-fold CV over each cohort's bio genes (0 = off, >= 2)."
    ),
    compare_archs: str = typer.Option(
        "", "--compare-archs", help="Networks trained beside --arch, e.g. 'degnext'."
    ),
    transfer: bool = typer.Option(
        True, "--transfer/--no-transfer", help="Transfer section (needs the training cohorts)."
    ),
    seed: int = SeedOpt,
    overwrite: bool = OverwriteOpt,
) -> None:
    """Paper tables (general learning, transfer), baselines, noise curves, epoch time."""
    from oncosig.degnext._report import run_paper_benchmark

    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ValueError(f"{out}: folder is not empty; pass --overwrite to replace its files")
    text = run_paper_benchmark(
        data,
        out,
        epochs=epochs,
        finetune_epochs=finetune_epochs,
        arch=arch,
        lr=lr,
        patience=patience,
        cv_folds=cv_folds,
        compare_archs=[a for a in compare_archs.split(",") if a],
        transfer=transfer,
        seed=seed,
        cohorts=None if cohorts is None else cohorts.split(","),
    )
    typer.echo(text)
