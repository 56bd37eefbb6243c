"""Report parts of a cross-validation run (``oncosig demo``, ``genexnet.cross_validate``).

A CV run directory holds a split manifest (``splits.tsv``: sample, fold, label, group),
per-fold predictions of every model (``predictions/<model>_fold<k>.tsv``), per-fold
metrics and a summary (one row per model, ``*_mean`` / ``*_std`` columns).  The report
pools the folds of each model into out-of-fold predictions and sets the network beside
its baselines.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from oncosig import pl
from oncosig.pl._common import get_ax
from oncosig.report import _html as H
from oncosig.report._figures import figure
from oncosig.report._scan import RunContents, truth_column

METRIC_ORDER = ("accuracy", "macro_f1", "balanced_accuracy", "roc_auc", "f1", "mcc")
_NETWORK_HINTS = ("genexnet", "resnet", "densenet", "mobilenet", "nasnet", "degnext", "cnn")


def is_network(model: str) -> bool:
    """Whether a model label names a neural network (the others are baselines)."""
    return any(h in model.lower() for h in _NETWORK_HINTS)


def pooled_predictions(run: RunContents) -> dict[str, pd.DataFrame]:
    """Out-of-fold predictions per model: every fold's table of that model, concatenated."""
    parts: dict[str, list[pd.DataFrame]] = {}
    for _path, df in run.of("cv_predictions"):
        for model, grp in df.groupby(df["model"].astype(str), sort=False):
            parts.setdefault(str(model), []).append(grp)
    return {m: pd.concat(p, ignore_index=True) for m, p in parts.items()}


def _classes(df: pd.DataFrame, truth: str) -> list[str]:
    return sorted(set(df[truth].astype(str)) | set(df["prediction"].astype(str)))


def data_summary(run: RunContents) -> str:
    """Samples, classes, folds and participants of the split manifests."""
    parts: list[str] = []
    for path, df in run.of("splits"):
        label = df["label"].astype(str)
        counts = pd.crosstab(label, df["fold"].astype(int).map(lambda k: f"fold {k}"))
        counts.insert(0, "samples", label.value_counts().reindex(counts.index))
        counts.index.name = "class"
        text = (
            f"{len(df)} samples, {label.nunique()} classes, "
            f"{df['fold'].nunique()} cross-validation folds"
        )
        if "group" in df.columns:
            groups = df["group"].astype(str)
            leaked = int((df.groupby(groups)["fold"].nunique() > 1).sum())
            text += f", {groups.nunique()} participants ({leaked} in more than one fold)"
        parts.append(f"<h3>{H.esc(run.rel(path))}</h3><p>{H.esc(text)}.</p>")
        parts.append(H.table(counts, index=True, max_rows=60))
    return "".join(parts)


def _mean_sd(summary: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    metrics = [str(c)[: -len("_mean")] for c in summary.columns if str(c).endswith("_mean")]
    metrics.sort(key=lambda m: (METRIC_ORDER.index(m) if m in METRIC_ORDER else 99, m))
    rows = {}
    for _, row in summary.iterrows():
        cells = {}
        for m in metrics:
            mean = row.get(f"{m}_mean", np.nan)
            sd = row.get(f"{m}_std", np.nan)
            cells[m] = (
                "" if pd.isna(mean) else f"{mean:.4f}" + ("" if pd.isna(sd) else f" ± {sd:.4f}")
            )
        model = str(row["model"])
        cells["role"] = "network" if is_network(model) else "baseline"
        rows[model] = cells
    table = pd.DataFrame.from_dict(rows, orient="index")[["role", *metrics]]
    table.index.name = "model"
    return table, metrics


def _versus_baseline(summary: pd.DataFrame, metrics: list[str]) -> str:
    """One sentence per network: its difference from the best baseline (by accuracy)."""
    models = summary["model"].astype(str)
    base = summary[~models.map(is_network)]
    nets = summary[models.map(is_network)]
    key = "accuracy_mean" if "accuracy_mean" in summary.columns else f"{metrics[0]}_mean"
    if base.empty or nets.empty or key not in summary.columns:
        return ""
    best = base.loc[base[key].idxmax()]
    out = []
    for _, net in nets.iterrows():
        diffs = ", ".join(
            f"{m} {net[f'{m}_mean'] - best[f'{m}_mean']:+.4f}"
            for m in metrics
            if pd.notna(net.get(f"{m}_mean")) and pd.notna(best.get(f"{m}_mean"))
        )
        out.append(f"{net['model']} minus the best baseline ({best['model']}): {diffs}.")
    return "".join(f"<p>{H.esc(s)}</p>" for s in out)


def model_comparison(
    folds: pd.DataFrame,
    *,
    metrics: tuple[str, ...] = ("accuracy", "macro_f1"),
    ax: Axes | None = None,
) -> Axes:
    """Mean of each metric per model (bars) with every fold's value (dots).

    Parameters
    ----------
    folds
        Long table with ``model``, ``fold`` and metric columns (one row per model and fold).
    metrics
        Metric columns to draw (those present).
    ax
        Axes to draw on.
    """
    present = [m for m in metrics if m in folds.columns]
    if not present or "model" not in folds.columns:
        raise ValueError(f"model_comparison needs 'model' and one of {metrics}")
    models = list(dict.fromkeys(folds["model"].astype(str)))
    ax = get_ax(ax, (1.5 + 1.2 * len(models) * len(present) / 2, 3.6))
    width = 0.8 / len(present)
    for j, metric in enumerate(present):
        xs = np.arange(len(models)) + (j - (len(present) - 1) / 2) * width
        vals = [folds.loc[folds["model"].astype(str) == m, metric].astype(float) for m in models]
        ax.bar(xs, [v.mean() for v in vals], width=width * 0.9, label=metric, alpha=0.75)
        for x, v in zip(xs, vals, strict=True):
            ax.plot(np.full(len(v), x), v.to_numpy(), "k.", ms=4)
    ax.set_xticks(range(len(models)), models)
    low = float(np.nanmin(folds[present].to_numpy(dtype=float)))
    ax.set_ylim(max(0.0, low - 0.05), 1.0)
    ax.set_ylabel("score (bars: mean; dots: folds)")
    ax.legend(fontsize=7, loc="lower right")
    return ax


def metrics_section(run: RunContents, notes: list[str]) -> str:
    """Summary table beside the baselines, per-fold chart, pooled confusion matrices and ROC."""
    parts: list[str] = []
    for path, summary in run.of("cv_summary"):
        table, metrics = _mean_sd(summary)
        parts.append(
            f"<h3>Cross-validation, mean ± sd over folds ({H.esc(run.rel(path))})</h3>"
            + H.table(table, index=True)
            + _versus_baseline(summary, metrics)
        )
    for path, folds in run.of("cv_folds"):
        parts.append(f"<h3>Per-fold metrics ({H.esc(run.rel(path))})</h3>")
        parts.append(H.table(folds, max_rows=60))
        parts.append(
            figure(
                partial(model_comparison, folds),
                alt="model comparison",
                caption=f"accuracy and macro F1 per fold ({run.rel(path)})",
                notes=notes,
            )
        )
    for model, df in pooled_predictions(run).items():
        parts.append(_pooled_model(model, df, notes))
    return "".join(parts)


def _pooled_model(model: str, df: pd.DataFrame, notes: list[str]) -> str:
    truth = truth_column(df.drop(columns=["model"]))
    if truth is None:
        return H.note(f"{model}: the predictions have no true-label column.")
    y = df[truth].astype(str)
    pred = df["prediction"].astype(str)
    classes = _classes(df, truth)
    n_folds = df["fold"].nunique()
    acc = float((y == pred).mean())
    parts = [
        f"<h3>{H.esc(model)}: out-of-fold accuracy {acc:.4f} over {len(df)} samples "
        f"({n_folds} folds pooled)</h3>",
        figure(
            partial(pl.confusion_matrix, y, pred, labels=classes),
            alt=f"confusion matrix {model}",
            caption=f"confusion matrix, {model} (out-of-fold)",
            notes=notes,
        ),
    ]
    probs = [c for c in df.columns if str(c) in classes and pd.api.types.is_numeric_dtype(df[c])]
    if len(probs) >= 2:
        parts.append(
            figure(
                partial(pl.roc_curves, y, df[probs]),
                alt=f"ROC curves {model}",
                caption=f"one-vs-rest ROC curves, {model} (out-of-fold)",
                notes=notes,
            )
        )
    per_class = pd.DataFrame(
        {
            "n": y.value_counts(),
            "recall": (y == pred).groupby(y).mean(),
            "predicted": pred.value_counts(),
        }
    ).reindex(classes)
    per_class.index.name = "class"
    parts.append(H.table(per_class.fillna(0), index=True, max_rows=60))
    if "review" in df.columns and df["review"].notna().all():  # a network's review flags
        flag = df["review"].astype(str).str.lower().eq("true").to_numpy()
        wrong = (y != pred).to_numpy()
        parts.append(
            f"<p>{int(flag.sum())} of {len(df)} out-of-fold predictions flagged for review; "
            f"they hold {int((flag & wrong).sum())} of the {int(wrong.sum())} errors.</p>"
        )
    return "".join(parts)


def describe_models(records: list[tuple[Any, dict[str, Any]]]) -> str:
    """Data facts recorded in run.json (samples, genes, label)."""
    parts = []
    for _path, rec in records:
        facts: dict[str, Any] = {k: rec[k] for k in ("n_samples", "n_genes", "classes") if k in rec}
        cfg = rec.get("config") if isinstance(rec.get("config"), dict) else {}
        if isinstance(cfg, dict) and "label" in cfg:
            facts["label column"] = cfg["label"]
        if facts:
            parts.append("<p>" + H.esc("; ".join(f"{k}: {v}" for k, v in facts.items())) + "</p>")
    return "".join(parts)
