"""CLI: ``oncosig genexnet train | finetune | predict | evaluate`` (``cv``: _genexnet_cv)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from oncosig.cli._app import app
from oncosig.cli._common import JsonOpt, OverwriteOpt, SeedOpt, echo_json, prepare_outputs

if TYPE_CHECKING:
    import pandas as pd
    from anndata import AnnData

    from oncosig.genexnet import GeneImageClassifier, GeneXNetEnsemble

logger = logging.getLogger(__name__)

genexnet_app = typer.Typer(
    help="GeneXNet: train, fine-tune, predict, evaluate and cross-validate pan-cancer sample "
    "classifiers.",
    no_args_is_help=True,
)
app.add_typer(genexnet_app, name="genexnet")

DataArg = typer.Argument(
    ...,
    help="Expression files (any supported format: counts, samples x genes or genes x samples, h5ad, GDC).",
)
LabelsOpt = typer.Option(
    None,
    "--labels",
    help="TSV: sample ID first, then annotation columns (e.g. cohort, site, tumor_normal).",
)
LabelColOpt = typer.Option(
    ...,
    "--label-column",
    help="Column of --labels to learn; without --labels, an annotation from the TCGA barcodes "
    "(e.g. 'project', 'organ_site', 'tissue').",
)
ModelOpt = typer.Option(
    None,
    "--model",
    help="GeneXNet checkpoint (.safetensors); default: the model shipped with oncosig.",
)
ModelsOpt = typer.Option(
    None,
    "--model",
    metavar="CKPT",
    help="GeneXNet checkpoint (.safetensors); repeat it to average the probabilities of "
    "several models (a seed ensemble); default: the model shipped with oncosig.",
)
ProgressOpt = typer.Option(True, "--progress/--no-progress", help="Show training progress bars.")
AcceleratorOpt = typer.Option("auto", "--accelerator", help="auto, cpu or gpu.")
CheckpointDirOpt = typer.Option(
    None,
    "--checkpoint-dir",
    help="Folder of the resumable epoch checkpoint (default: OUT.resume/; removed once OUT "
    "is written).",
)
ResumeOpt = typer.Option(
    False,
    "--resume",
    help="Continue a killed run from its checkpoint (same data and options): the result "
    "equals an uninterrupted run's.",
)


def read_data(paths: list[Path]) -> AnnData:
    """Read and join expression files (samples x genes, common genes only)."""
    import anndata as ad

    from oncosig.io import read

    adatas = [read(p) for p in paths]
    if len(adatas) == 1:
        return adatas[0]
    joined = ad.concat(adatas, join="inner", merge="same", uns_merge="first")
    if joined.n_vars == 0:
        raise ValueError("the input files share no gene; use files quantified on the same genes")
    if joined.obs_names.has_duplicates:
        dup = joined.obs_names[joined.obs_names.duplicated()][0]
        raise ValueError(
            f"sample '{dup}' occurs in more than one input file; give each sample once"
        )
    return joined


def read_labels(adata: AnnData, labels: Path | None, column: str) -> pd.Series:
    """Labels of ``adata``'s samples from a TSV (sample ID first) or from ``obs``."""
    import pandas as pd

    from oncosig._errors import OncosigInputError

    if labels is None:
        if column not in adata.obs:
            from oncosig.io import annotate_tcga

            annotate_tcga(adata)
        if column not in adata.obs:
            raise OncosigInputError(
                f"no label column '{column}' in the data's annotation "
                f"({', '.join(map(str, adata.obs.columns)) or 'none'}); give --labels TSV"
            )
        return adata.obs[column].astype(str)
    if not labels.is_file():
        raise OncosigInputError("labels file not found", path=labels)
    df = pd.read_csv(labels, sep="\t", index_col=0, dtype=str)
    if column not in df.columns:
        raise OncosigInputError(
            f"no column '{column}'; the columns are: {', '.join(df.columns)}", path=labels
        )
    df.index = df.index.astype(str)
    missing = [s for s in adata.obs_names if s not in df.index]
    if missing:
        raise OncosigInputError(
            f"{len(missing)} samples of the data have no row (e.g. '{missing[0]}'); the first "
            "column must hold the sample IDs",
            path=labels,
        )
    y = df.loc[list(adata.obs_names), column]
    if y.isna().any():
        raise OncosigInputError(
            f"{int(y.isna().sum())} samples have an empty '{column}'", path=labels
        )
    return y


def load_single_model(model: Path | None) -> GeneImageClassifier:
    """A checkpoint, or the shipped pretrained model."""
    from oncosig.genexnet import GeneImageClassifier, load_pretrained

    return load_pretrained() if model is None else GeneImageClassifier.load(model)


def load_models(models: list[Path] | None) -> GeneImageClassifier | GeneXNetEnsemble:
    """One checkpoint or ensemble file, a seed ensemble of several, or the shipped model."""
    from oncosig.genexnet import GeneXNetEnsemble, load_model, load_pretrained

    if not models:
        return load_pretrained()
    return load_model(models[0]) if len(models) == 1 else GeneXNetEnsemble.load(models)


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` or ``"0-4"`` (or a mix, ``"0-2,7"``) as a list of distinct seeds."""
    seeds: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            lo, sep, hi = part.partition("-")
            seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    except ValueError:
        raise typer.BadParameter(
            f"--seeds takes seeds like 0,1,2 or 0-4, got {text!r}", param_hint="--seeds"
        ) from None
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise typer.BadParameter(
            f"--seeds needs distinct non-negative seeds, got {text!r}", param_hint="--seeds"
        )
    return seeds


def ensemble_checkpoints(seeds: list[int]) -> tuple[str, ...]:
    """Resume files of a seed-ensemble run: each member's checkpoint and finished model."""
    return tuple(f"seed{s}/fit.ckpt" for s in seeds) + tuple(f"seed{s}.safetensors" for s in seeds)


def models_name(models: list[Path] | None) -> str | list[str]:
    """The checkpoint(s) as recorded in run.json (the shipped model when none was given)."""
    if not models:
        return "shipped pretrained model (oncosig.genexnet.load_pretrained)"
    return str(models[0]) if len(models) == 1 else [str(m) for m in models]


def _record(
    out: Path, command: str, config: dict[str, Any], seed: int | None, extra: dict[str, Any]
) -> None:
    from oncosig._repro import write_run_record

    write_run_record(out, command=command, config=config, seed=seed, extra=extra)


@genexnet_app.command("train")
def train(
    data: list[Path] = DataArg,
    labels: Path | None = LabelsOpt,
    label_column: str = LabelColOpt,
    out: Path = typer.Option(..., "--out", help="Checkpoint to write (.safetensors)."),
    preset: str = typer.Option(
        "compact",
        "--preset",
        help="Starting configuration: compact (CPU, 1,024 genes), standard (4,096 genes), "
        "standard-rank (standard on rank scores, robust to library composition), "
        "compact-published (no gene embedding) or paper (all genes, published sizes; GPU). "
        "The options below override it.",
    ),
    epochs: int | None = typer.Option(
        None, "--epochs", min=1, help="Maximum epochs (early stopping on a 15 % hold-out)."
    ),
    max_genes: int | None = typer.Option(
        None, "--max-genes", min=1, help="Keep the N most variable genes."
    ),
    growth_rate: int | None = typer.Option(
        None, "--growth-rate", min=1, help="θk: filters per dense layer."
    ),
    theta_d: float | None = typer.Option(
        None, "--theta-d", min=0.0, max=1.0, help="Share of dense layers."
    ),
    theta_r: float | None = typer.Option(
        None, "--theta-r", min=0.0, max=1.0, help="Share of residual units."
    ),
    depth: int | None = typer.Option(
        None, "--depth", min=1, max=4, help="Number of GeneXNet blocks."
    ),
    stem_stride: int | None = typer.Option(None, "--stem-stride", help="1, 2 or 4 (large grids)."),
    gene_embedding: int | None = typer.Option(
        None, "--gene-embedding", min=0, help="Per-gene embedding channels (0 = as published)."
    ),
    optimizer: str = typer.Option("adam", "--optimizer", help="adam, adagrad or rmsprop."),
    lr: float | None = typer.Option(
        None, "--lr", min=0.0, help="Initial learning rate (halved on plateau)."
    ),
    batch_size: int | None = typer.Option(None, "--batch-size", min=2),
    patience: int | None = typer.Option(
        None, "--patience", min=1, help="Early-stopping patience (epochs)."
    ),
    gene_order: str | None = typer.Option(
        None,
        "--gene-order",
        help="Grid layout: genomic (chromosome position; the default), given (as in the "
        "file) or coexpression (co-expressed training genes side by side).",
    ),
    normalization: str | None = typer.Option(
        None,
        "--normalization",
        help="Per-sample input before the per-gene z-score: log-cpm (the default) or rank "
        "(rank-based inverse normal scores; unaffected by library size and composition).",
    ),
    accelerator: str = AcceleratorOpt,
    seed: int = SeedOpt,
    seeds: str | None = typer.Option(
        None,
        "--seeds",
        help="Train one model per seed (e.g. 0,1,2,3,4 or 0-4; replaces --seed) and write "
        "them to OUT as one seed ensemble: predict, evaluate and explain average them.",
    ),
    progress: bool = ProgressOpt,
    checkpoint_dir: Path | None = CheckpointDirOpt,
    resume: bool = ResumeOpt,
    overwrite: bool = OverwriteOpt,
) -> None:
    """Train GeneXNet on DATA with labels from a TSV or from TCGA barcodes.

    A checkpoint is written at the end of every epoch; after a crash or a kill, the same
    command with --resume continues from it (with --seeds, finished members are kept).
    """
    from oncosig._resume import remove_checkpoints
    from oncosig.genexnet import GeneXNet, fit_seed_ensemble

    seed_list = parse_seeds(seeds) if seeds is not None else None
    ckpt_names = ensemble_checkpoints(seed_list) if seed_list else ("fit.ckpt",)
    ckpt_dir = prepare_outputs(
        out, ckpt_names, checkpoint_dir=checkpoint_dir, resume=resume, overwrite=overwrite
    )
    adata = read_data(data)
    y = read_labels(adata, labels, label_column)
    from oncosig.genexnet import preset as genexnet_preset

    given = {
        "growth_rate": growth_rate,
        "theta_d": theta_d,
        "theta_r": theta_r,
        "depth": depth,
        "stem_stride": stem_stride,
        "gene_embedding": gene_embedding,
        "max_genes": max_genes,
        "lr": lr,
        "batch_size": batch_size,
        "max_epochs": epochs,
        "patience": patience,
        "gene_order": gene_order,
        "normalization": normalization,
    }
    config = genexnet_preset(preset, **{k: v for k, v in given.items() if v is not None})
    config.update(optimizer=optimizer, accelerator=accelerator, seed=seed)
    run_config = {
        **config,
        "preset": preset,
        "data": [str(p) for p in data],
        "label_column": label_column,
    }
    if seed_list:
        config.pop("seed")
        ensemble = fit_seed_ensemble(
            adata,
            y.to_numpy(),
            seeds=seed_list,
            checkpoint_dir=ckpt_dir,
            resume=resume,
            progress=progress,
            **config,
        )
        _finish_ensemble(
            ensemble,
            out,
            run_config,
            ckpt_dir,
            n_samples=adata.n_obs,
            resume=resume,
            overwrite=overwrite,
        )
        return
    model = GeneXNet(**config, progress=progress)  # type: ignore[arg-type]
    model.fit(adata, y.to_numpy(), checkpoint_dir=ckpt_dir, resume=resume)
    model.save(out, overwrite=overwrite)
    _record(
        out,
        "genexnet train",
        run_config,
        seed,
        {"training": model.training_, "classes": model.classes_, "resumed": resume},
    )
    remove_checkpoints(ckpt_dir, ckpt_names)
    typer.echo(
        f"wrote {out} ({len(model.classes_)} classes, {len(model.genes_)} genes, {adata.n_obs} samples)"
    )


def _finish_ensemble(
    ensemble: GeneXNetEnsemble,
    out: Path,
    run_config: dict[str, Any],
    ckpt_dir: Path,
    *,
    n_samples: int,
    resume: bool,
    overwrite: bool,
) -> None:
    """Write a trained seed ensemble and its run record; delete the resume files."""
    from oncosig._resume import remove_checkpoints

    seeds = [m.seed for m in ensemble.models]
    ensemble.save(out, overwrite=overwrite)
    extra = {
        "training": [m.training_ for m in ensemble.models],
        "classes": ensemble.classes_,
        "resumed": resume,
    }
    _record(out, "genexnet train", {**run_config, "seed": None, "seeds": seeds}, None, extra)
    remove_checkpoints(ckpt_dir, ensemble_checkpoints(seeds))
    typer.echo(
        f"wrote {out} (ensemble of {len(seeds)} models, seeds {seeds}; "
        f"{len(ensemble.classes_)} classes, {n_samples} samples)"
    )


@genexnet_app.command("finetune")
def finetune(
    data: list[Path] = DataArg,
    labels: Path | None = LabelsOpt,
    label_column: str = LabelColOpt,
    out: Path = typer.Option(..., "--out", help="Fine-tuned checkpoint to write."),
    model: Path | None = ModelOpt,
    freeze_epochs: int = typer.Option(
        10, "--freeze-epochs", min=0, help="Epochs training only the new head."
    ),
    epochs: int = typer.Option(50, "--epochs", min=0, help="Epochs with every layer trainable."),
    lr: float | None = typer.Option(
        None, "--lr", help="Learning rate of the unfrozen phase (default: the model's)."
    ),
    seed: int = SeedOpt,
    progress: bool = ProgressOpt,
    checkpoint_dir: Path | None = CheckpointDirOpt,
    resume: bool = ResumeOpt,
    overwrite: bool = OverwriteOpt,
) -> None:
    """Fine-tune a GeneXNet model on a new cohort (genes aligned to the model's first).

    A checkpoint is written at the end of every epoch of both phases; after a crash or a
    kill, the same command with --resume continues from it.
    """
    from oncosig._resume import remove_checkpoints

    ckpt_names = ("finetune-frozen.ckpt", "finetune.ckpt")
    ckpt_dir = prepare_outputs(
        out, ckpt_names, checkpoint_dir=checkpoint_dir, resume=resume, overwrite=overwrite
    )
    est = load_single_model(model)
    adata = read_data(data)
    y = read_labels(adata, labels, label_column)
    est.seed = seed
    est.progress = progress
    est.finetune(
        adata,
        y.to_numpy(),
        freeze_epochs=freeze_epochs,
        max_epochs=epochs,
        lr=lr,
        checkpoint_dir=ckpt_dir,
        resume=resume,
    )
    est.save(out, overwrite=overwrite)
    config = {
        "model": str(model) if model else "pretrained",
        "freeze_epochs": freeze_epochs,
        "epochs": epochs,
        "lr": lr,
    }
    _record(
        out,
        "genexnet finetune",
        {**config, "data": [str(p) for p in data], "label_column": label_column},
        seed,
        {"training": est.training_, "classes": est.classes_, "resumed": resume},
    )
    remove_checkpoints(ckpt_dir, ckpt_names)
    typer.echo(f"wrote {out} ({len(est.classes_)} classes, fine-tuned on {adata.n_obs} samples)")


@genexnet_app.command("predict")
def predict(
    data: list[Path] = DataArg,
    out: Path = typer.Option(
        ...,
        "--out",
        help="CSV: sample, prediction, one probability column per class, then "
        "max_probability, nearest_class and review (True: check this call).",
    ),
    model: list[Path] | None = ModelsOpt,
    min_probability: float = typer.Option(
        0.5,
        "--min-probability",
        min=0.0,
        max=1.0,
        help="Flag for review the predictions less probable than this.",
    ),
    overwrite: bool = OverwriteOpt,
) -> None:
    """Predict the class of every sample in DATA (genes aligned to the model automatically).

    Samples whose profile is nearer another class's training samples than those of the
    class they get, or whose prediction is less probable than --min-probability, are
    flagged in the `review` column.
    """
    from oncosig._atomic import check_can_write, write_table

    check_can_write(out, overwrite=overwrite)
    est = load_models(model)
    adata = read_data(data)
    table = est.predict_review(adata, min_probability=min_probability)
    write_table(table, out, overwrite=overwrite)
    counts = table["prediction"].value_counts()
    n_review = int(table["review"].sum())
    _record(
        out,
        "genexnet predict",
        {
            "model": models_name(model),
            "data": [str(p) for p in data],
            "min_probability": min_probability,
        },
        None,
        {
            "n_samples": int(adata.n_obs),
            "predictions": {str(k): int(v) for k, v in counts.items()},
            "n_review": n_review,
        },
    )
    typer.echo(f"wrote {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if n_review:
        typer.echo(
            f"{n_review} of {len(table)} predictions flagged for review (column `review`): "
            f"probability < {min_probability:g}, or the sample is nearer another class's "
            "training samples",
            err=True,
        )


@genexnet_app.command("evaluate")
def evaluate(
    data: list[Path] = DataArg,
    labels: Path | None = LabelsOpt,
    label_column: str = LabelColOpt,
    model: list[Path] | None = ModelsOpt,
    out: Path | None = typer.Option(None, "--out", help="Also write the metrics as JSON."),
    as_json: bool = JsonOpt,
    overwrite: bool = OverwriteOpt,
) -> None:
    """Accuracy, macro F1, balanced accuracy and ROC AUC of a model on labelled DATA."""
    from oncosig._atomic import check_can_write, write_text
    from oncosig.genexnet import GeneXNetEnsemble, classification_metrics, per_class_accuracy
    from oncosig.genexnet._review import review_summary

    if out is not None:
        check_can_write(out, overwrite=overwrite)
    est = load_models(model)
    adata = read_data(data)
    y = read_labels(adata, labels, label_column)
    review = est.predict_review(adata)  # probabilities and flags from one pass
    pred = review["prediction"].to_numpy()
    proba = review[list(est.classes_)].to_numpy(dtype=float)
    metrics = classification_metrics(y.to_numpy(), pred, proba, est.classes_)
    per_class = per_class_accuracy(y.to_numpy(), pred)
    flags = review_summary(y.to_numpy(), review)
    result = {
        "metrics": metrics,
        "per_class": per_class.reset_index().to_dict(orient="records"),
        "review": flags,
    }
    if out is not None:
        write_text(out, json.dumps(result, indent=2, default=float) + "\n", overwrite=overwrite)
        _record(
            out,
            "genexnet evaluate",
            {
                "model": models_name(model),
                "data": [str(p) for p in data],
                "labels": None if labels is None else str(labels),
                "label_column": label_column,
            },
            None,
            {"n_samples": int(adata.n_obs), "metrics": metrics},
        )
    if as_json:
        echo_json(result)
        return
    from rich.console import Console
    from rich.table import Table

    members = len(est) if isinstance(est, GeneXNetEnsemble) else 1
    table = Table(
        title=f"{adata.n_obs} samples" + (f", {members} models averaged" if members > 1 else "")
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k in ("accuracy", "macro_f1", "balanced_accuracy", "roc_auc"):
        table.add_row(k, f"{metrics[k]:.4f}")
    table.add_row(
        "flagged for review", f"{flags['flagged']} ({flags['errors_flagged']} of the errors)"
    )
    table.add_row("accuracy, unflagged", f"{flags['accuracy_unflagged']:.4f}")
    Console().print(table)
