"""CLI: ``oncosig genexnet cv`` — GeneXNet beside baselines on the same cross-validation folds.

A thin wrapper of :func:`oncosig.genexnet.cross_validate`: it reads the data and labels as
``genexnet train`` does, turns each ``--estimator`` entry into a model specification, and writes
the split manifest, per-fold predictions (with GeneXNet's review flags), training curves,
a summary, per-class accuracy, the samples any model misses, confusion matrices and
``run.json``; ``oncosig report OUT`` renders them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from oncosig.cli._common import OverwriteOpt, SeedOpt
from oncosig.cli._genexnet import (
    AcceleratorOpt,
    DataArg,
    LabelColOpt,
    LabelsOpt,
    ProgressOpt,
    genexnet_app,
    parse_seeds,
    read_data,
    read_labels,
)

if TYPE_CHECKING:
    import pandas as pd
    from anndata import AnnData
    from rich.console import Console

    from oncosig.genexnet import CVResult

#: results of an earlier run in OUT, refused without --resume or --overwrite
CV_OUTPUTS = ("splits.tsv", "cv_metrics.tsv", "summary.csv", "errors.csv", "seeds_summary.csv")
MODELS_FILE = "models.json"  # each model's settings, written before training
#: the GeneXNet preset settings that CNN baselines share (genes, optimisation, stopping)
SHARED_NETWORK_KEYS = (
    "max_genes",
    "normalization",
    "lr",
    "batch_size",
    "max_epochs",
    "patience",
    "lr_patience",
)
CNN_STEM_STRIDE = 2  # the CNN baselines' published stride-2 stems
#: defaults of the classical baselines (as in the 7-cohort benchmark)
CLASSICAL_DEFAULTS: dict[str, dict[str, Any]] = {
    "logreg": {"C": 0.1},
    "linear_svm": {"C": 0.01},
    "random_forest": {"n_estimators": 300},
    "xgboost": {"n_estimators": 200, "max_genes": 5000},
}


def _value(text: str) -> Any:
    """``KEY=VALUE`` value: JSON where it parses (numbers, true/false, null), else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_model_spec(text: str) -> tuple[str, str, dict[str, Any]]:
    """``NAME[:KEY=VALUE,...][@LABEL]`` as ``(label, name, params)``.

    Examples: ``linear_svm``, ``linear_svm:C=0.1,max_genes=1024@svm_1024``,
    ``genexnet:max_genes=1024``.  Without ``@LABEL`` the label is the name followed by the
    settings (``linear_svm_max_genes1024``).
    """
    spec, _, label = text.partition("@")
    name, _, settings = spec.partition(":")
    name = name.strip()
    params: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in settings.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise typer.BadParameter(
                f"model settings are KEY=VALUE pairs separated by commas, got {item!r} in {text!r}",
                param_hint="--estimator",
            )
        params[key.strip()] = _value(value.strip())
    if not name:
        raise typer.BadParameter(f"no model name in {text!r}", param_hint="--estimator")
    if not label:
        label = "_".join([name, *(f"{k}{v}" for k, v in params.items())])
    if not label.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise typer.BadParameter(
            f"model label {label!r} must hold only letters, digits, '_', '-' and '.' (it names "
            "files); give one with @LABEL",
            param_hint="--estimator",
        )
    return label, name, params


def _check_settings(text: str, name: str, params: dict[str, Any]) -> None:
    """Build the model once, so that a misspelt setting fails before any data is read."""
    from oncosig.genexnet import GeneImageClassifier, GeneXNet
    from oncosig.genexnet._cv import CLASSICAL_FEATURE_DEFAULTS
    from oncosig.models import create_model, get_entry

    try:
        if name == "genexnet":
            GeneXNet(**params)
        elif get_entry(name).family == "network":
            est = GeneImageClassifier(name, **params)
            create_model(name, num_classes=2, **est.net_params)
        else:
            factory = {k: v for k, v in params.items() if k not in CLASSICAL_FEATURE_DEFAULTS}
            create_model(name, **factory)
    except TypeError as exc:
        raise ValueError(f"--estimator {text}: {exc}") from None


def resolve_specs(
    entries: list[str], *, preset: str, epochs: int | None, accelerator: str
) -> list[tuple[str, str, dict[str, Any]]]:
    """Model specifications for :func:`~oncosig.genexnet.cross_validate` from ``--estimator``.

    GeneXNet starts from ``preset``; the CNN baselines share its genes, optimisation and
    stopping settings (stride-2 stems as published); classical baselines get the
    benchmark's defaults.  Settings given in an entry override all of these.
    """
    from oncosig.genexnet import preset as genexnet_preset
    from oncosig.models import get_entry

    gx = genexnet_preset(preset, accelerator=accelerator)
    if epochs is not None:
        gx["max_epochs"] = epochs
    specs: list[tuple[str, str, dict[str, Any]]] = []
    for text in entries:
        label, name, given = parse_model_spec(text)
        entry = get_entry(name)  # ValueError listing the valid names
        if entry.task == "gene":
            raise ValueError(
                f"'{name}' classifies genes, not samples; use `oncosig degnext` for it"
            )
        if name == "genexnet":
            params = {**gx, **given}
        elif entry.family == "network":
            net_keys = {
                k: given.pop(k) for k in ("width", "stem_stride", "drop_rate") if k in given
            }
            shared = {k: gx[k] for k in SHARED_NETWORK_KEYS if k in gx}
            params = {
                **shared,
                "accelerator": accelerator,
                **given,
                "net_params": {"stem_stride": CNN_STEM_STRIDE, **net_keys},
            }
        else:
            params = {**CLASSICAL_DEFAULTS.get(name, {}), **given}
        _check_settings(text, name, params)
        specs.append((label, name, params))
    labels = [s[0] for s in specs]
    if len(set(labels)) != len(labels):
        dup = next(x for x in labels if labels.count(x) > 1)
        raise ValueError(f"two --estimator entries have the label '{dup}'; name them with @LABEL")
    return specs


#: settings that change where and how fast a model trains, not its results
_RUNTIME_KEYS = ("accelerator", "devices", "num_nodes", "strategy", "num_workers", "progress")


def _results_settings(entry: list[Any]) -> list[Any]:
    """A recorded ``[name, params]`` entry without the runtime settings."""
    name, params = entry
    return [name, {k: v for k, v in params.items() if k not in _RUNTIME_KEYS}]


def expand_seeds(
    specs: list[tuple[str, str, dict[str, Any]]], seeds: list[int]
) -> tuple[list[tuple[str, str, dict[str, Any]]], dict[str, list[str]]]:
    """One specification per (network, seed), labelled ``<label>_seed<s>``; baselines once.

    Returns the specifications and, per network label, the labels of its seeds.
    """
    from oncosig.models import get_entry

    out: list[tuple[str, str, dict[str, Any]]] = []
    groups: dict[str, list[str]] = {}
    for label, name, params in specs:
        if get_entry(name).family != "network":
            out.append((label, name, params))
            continue
        groups[label] = [f"{label}_seed{s}" for s in seeds]
        out += [(f"{label}_seed{s}", name, {**params, "seed": s}) for s in seeds]
    if not groups:
        raise ValueError("--seeds repeats the networks, but no --estimator is a network")
    return out, groups


def print_seed_table(table: pd.DataFrame, console: Console) -> None:
    """Mean over seeds and seed-ensemble results on the console."""
    from rich.table import Table

    t = Table(title="networks over training seeds (out-of-fold, all folds pooled)")
    for col in ("model", "seeds", "accuracy", "macro F1", "errors", "ensemble", "ens. errors"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for model, r in table.iterrows():
        t.add_row(
            str(model),
            str(int(r["n_seeds"])),
            f"{r['accuracy_mean']:.1%} ± {r['accuracy_std']:.1%}",
            f"{r['macro_f1_mean']:.3f} ± {r['macro_f1_std']:.3f}",
            f"{int(r['errors_min'])}-{int(r['errors_max'])}, mean {r['errors_mean']:.1f}",
            f"{r['ensemble_accuracy']:.1%}",
            str(int(r["ensemble_errors"])),
        )
    console.print(t)


def _check_models_file(out: Path, specs: list[Any], *, resume: bool, overwrite: bool) -> None:
    """Refuse to mix an earlier run's folds into this one, unless they were made alike.

    With ``resume``, each model already recorded in ``models.json`` must have the same
    settings (its finished folds are reused); without ``resume`` or ``overwrite`` an earlier
    run's outputs are refused; with ``overwrite`` its per-fold files are removed.
    """
    from oncosig._errors import OncosigInputError

    if out.exists() and not out.is_dir():
        raise OncosigInputError("--out must be a folder, not a file", path=out)
    path = out / MODELS_FILE
    existing = [n for n in CV_OUTPUTS if (out / n).exists()]
    if resume and path.exists():
        before = json.loads(path.read_text())
        now = json.loads(json.dumps({label: [name, p] for label, name, p in specs}, default=str))
        for label, value in now.items():
            if label in before and _results_settings(before[label]) != _results_settings(value):
                raise OncosigInputError(
                    f"model '{label}' was cross-validated with other settings ({before[label]}); "
                    "give it another @LABEL, another --out, or --overwrite to start over",
                    path=path,
                )
        return
    if existing and not (overwrite or resume):
        raise OncosigInputError(
            f"holds an earlier cross-validation ({', '.join(existing)}); pass --resume to "
            "reuse its finished folds, --overwrite to replace it, or choose another --out",
            path=out,
        )
    if overwrite:
        for pattern in (
            "predictions/*_fold*.tsv",
            "training/*_fold*.csv",
            *CV_OUTPUTS,
            MODELS_FILE,
        ):
            for f in out.glob(pattern):
                f.unlink()


def _groups(adata: AnnData, labels: Path | None, column: str) -> pd.Series:
    """Participant of every sample: a column of the labels TSV, of ``obs``, or the barcodes."""
    import pandas as pd

    from oncosig.io import annotate_tcga

    if labels is not None and labels.is_file():
        if column in pd.read_csv(labels, sep="\t", nrows=0).columns[1:]:
            return read_labels(adata, labels, column)
    if column not in adata.obs and column == "participant":
        annotate_tcga(adata)  # non-barcode IDs get none and are split one by one
    if column not in adata.obs:
        raise ValueError(
            f"no participant column '{column}' in --labels or the data's annotation; name an "
            "existing column with --group-column, or give --group-column none"
        )
    return adata.obs[column]


def print_cv_tables(result: CVResult, console: Console) -> None:
    """Summary (mean ± sd over folds) and per-class accuracy tables on the console."""
    from rich.table import Table

    summary = result.summary()
    seconds = result.metrics.groupby("model")["seconds"].sum()
    n_folds = int(result.folds["fold"].max()) + 1
    table = Table(title=f"{n_folds}-fold cross-validation (mean ± sd over folds)")
    for col in ("model", "accuracy", "macro F1", "balanced acc.", "errors", "seconds"):
        table.add_column(col, justify="left" if col == "model" else "right")
    pred = result.predictions
    for model in result.models:
        row = summary.loc[model]
        df = pred[pred["model"] == model]
        table.add_row(
            model,
            f"{row['accuracy_mean']:.1%} ± {row['accuracy_std']:.1%}",
            f"{row['macro_f1_mean']:.3f} ± {row['macro_f1_std']:.3f}",
            f"{row['balanced_accuracy_mean']:.1%}",
            f"{int((df['true'] != df['prediction']).sum())} of {len(df)}",
            f"{seconds[model]:.0f}",
        )
    console.print(table)
    per_class = result.per_class_table()
    pc = Table(title="per-class accuracy (out-of-fold)")
    pc.add_column("class")
    for col in per_class.columns:
        pc.add_column(str(col), justify="right")
    for cls, r in per_class.iterrows():
        pc.add_row(str(cls), str(int(r["n"])), *(f"{r[m]:.1%}" for m in result.models))
    console.print(pc)


def review_counts(result: CVResult) -> dict[str, dict[str, Any]]:
    """How GeneXNet-style review flags split each network's out-of-fold errors."""
    from oncosig.genexnet._review import review_summary

    counts: dict[str, dict[str, Any]] = {}
    for model in result.models:
        df = result.predictions[result.predictions["model"] == model]
        if "review" not in df or df["review"].isna().all():
            continue  # classical models carry no flags
        counts[model] = review_summary(df["true"].to_numpy(), df.astype({"review": bool}))
    return counts


def write_confusions(result: CVResult, path: Path) -> None:
    """One confusion-matrix panel per model, in one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oncosig._atomic import atomic_path
    from oncosig.genexnet import plot_confusion

    models = result.models
    cols = min(3, len(models))
    rows = -(-len(models) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 5 * rows), squeeze=False)
    for ax, model in zip(axes.ravel(), models, strict=False):
        plot_confusion(result.confusion(model), ax=ax, title=model)
    for ax in axes.ravel()[len(models) :]:
        ax.set_visible(False)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)


@genexnet_app.command("cv")
def cv(
    data: list[Path] = DataArg,
    labels: Path | None = LabelsOpt,
    label_column: str = LabelColOpt,
    out: Path = typer.Option(..., "--out", help="Folder for the folds, predictions and tables."),
    estimators: list[str] = typer.Option(
        ["genexnet", "logreg", "linear_svm"],
        "--estimator",
        metavar="SPEC",
        help="A model to cross-validate (repeat the option): its NAME, optionally followed by "
        "settings :KEY=VALUE,... and a label @LABEL, e.g. "
        "linear_svm:max_genes=1024@svm1k.  Names: genexnet; the CNN baselines "
        "resnet50v2, densenet121, mobilenetv2, nasnet_mobile; the classical logreg, "
        "linear_svm, random_forest, xgboost, mlp, knn, svm, decision_tree, naive_bayes.",
    ),
    preset: str = typer.Option(
        "compact",
        "--preset",
        help="GeneXNet configuration (see `genexnet train --preset`); CNN baselines share its "
        "genes and training settings.",
    ),
    epochs: int | None = typer.Option(
        None, "--epochs", min=1, help="Maximum epochs of every network."
    ),
    folds: int = typer.Option(5, "--folds", min=2, max=20, help="Cross-validation folds."),
    group_column: str = typer.Option(
        "participant",
        "--group-column",
        help="Column of --labels (or of the data's annotation) naming each sample's "
        "participant, so that no participant is in both train and test; by default taken "
        "from TCGA barcodes (other sample IDs count as one participant each); 'none' splits "
        "samples freely.",
    ),
    accelerator: str = AcceleratorOpt,
    seed: int = SeedOpt,
    seeds: str | None = typer.Option(
        None,
        "--seeds",
        help="Train every network once per seed (e.g. 0-4) on the same folds (--seed still "
        "sets the folds): each seed is reported as <label>_seed<s>, and seeds_summary.csv "
        "gives the mean over seeds and the seed ensemble (probabilities averaged).",
    ),
    progress: bool = ProgressOpt,
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Reuse the folds and the finished (model, fold) predictions in OUT; models "
        "already there must have the same settings.",
    ),
    overwrite: bool = OverwriteOpt,
) -> None:
    """Cross-validate GeneXNet and baselines on the same participant-grouped folds.

    Every fitted step (genes, scaling, model) sees the training folds only.  Writes
    splits.tsv, predictions/<model>_fold<k>.tsv, cv_metrics.tsv, summary.csv,
    per_class_accuracy.csv, errors.csv (samples any model misses), confusion_matrix.png and
    run.json to OUT; `oncosig report OUT` turns them into an HTML page.
    """
    from rich.console import Console

    from oncosig._atomic import atomic_path, write_table
    from oncosig._repro import seed_everything, write_run_record
    from oncosig.genexnet import cross_validate

    specs = resolve_specs(estimators, preset=preset, epochs=epochs, accelerator=accelerator)
    seed_groups: dict[str, list[str]] = {}
    if seeds is not None:
        specs, seed_groups = expand_seeds(specs, parse_seeds(seeds))
    _check_models_file(out, specs, resume=resume, overwrite=overwrite)
    adata = read_data(data)
    y = read_labels(adata, labels, label_column)
    group_key = None if group_column.lower() == "none" else group_column
    if group_key is not None:
        adata.obs[group_key] = _groups(adata, labels, group_key).to_numpy()
    out.mkdir(parents=True, exist_ok=True)
    recorded = {label: [name, p] for label, name, p in specs}
    models_path = out / MODELS_FILE
    if resume and models_path.exists():
        recorded = {**json.loads(models_path.read_text()), **recorded}
    with atomic_path(models_path) as tmp:
        tmp.write_text(json.dumps(recorded, indent=2, default=str))
    console = Console()
    console.print(
        f"[bold]oncosig genexnet cv[/bold]: {adata.n_obs} samples x {adata.n_vars} genes, "
        f"{y.nunique()} classes of '{label_column}', {folds} folds"
        + (f" grouped by '{group_key}'" if group_key else "")
    )
    seed_everything(seed)
    t0 = time.perf_counter()
    result = cross_validate(
        adata,
        y=y.to_numpy(),
        models=specs,
        n_splits=folds,
        seed=seed,
        group_key=group_key,
        out_dir=out,
        resume=resume,
        progress=progress,
    )
    print_cv_tables(result, console)
    flags = review_counts(result)
    for model, f in flags.items():
        console.print(
            f"{model} flagged {f['flagged']} of {f['n_samples']} predictions for review; they "
            f"hold {f['errors_flagged']} of its {f['errors']} errors"
        )
    seed_table = None
    if seed_groups:
        seed_table = result.seed_summary(seed_groups)
        print_seed_table(seed_table, console)
        write_table(seed_table, out / "seeds_summary.csv")
    write_table(result.summary(), out / "summary.csv")
    write_table(result.per_class_table(), out / "per_class_accuracy.csv")
    write_table(result.errors(), out / "errors.csv")
    write_confusions(result, out / "confusion_matrix.png")
    elapsed = time.perf_counter() - t0
    write_run_record(
        out,
        command="oncosig genexnet cv",
        config={
            "data": [str(p) for p in data],
            "labels": None if labels is None else str(labels),
            "label_column": label_column,
            "group_column": group_key,
            "folds": folds,
            "seeds": seeds,
            "preset": preset,
            "models": {label: {"name": name, **p} for label, name, p in specs},
            "resumed": resume,
        },
        seed=seed,
        extra={
            "summary": result.summary().reset_index().to_dict(orient="records"),
            "review": flags,
            "seeds": None
            if seed_table is None
            else seed_table.reset_index().to_dict(orient="records"),
            "seconds": round(elapsed, 1),
            "n_samples": int(adata.n_obs),
        },
    )
    console.print(
        f"wrote folds, predictions, tables and confusion_matrix.png to {out} in {elapsed:.0f} s; "
        f"`oncosig report {out} --out report.html` makes the HTML report"
    )
