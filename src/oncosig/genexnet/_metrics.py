"""Evaluation over all samples (never averaged over mini-batches) and the confusion plot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
)

from oncosig._metrics import roc_auc


def classification_metrics(
    y_true: Sequence[object] | np.ndarray,
    y_pred: Sequence[object] | np.ndarray,
    proba: np.ndarray | None = None,
    classes: Sequence[str] | None = None,
) -> dict[str, float]:
    """Accuracy, macro F1, balanced accuracy and (with ``proba``) ROC AUC.

    Parameters
    ----------
    y_true, y_pred
        True and predicted class names, one per sample.
    proba
        Class probabilities ``(n, len(classes))`` in ``classes`` order.
    classes
        Class names of the model (columns of ``proba``).

    Returns
    -------
    dict with ``n``, ``accuracy``, ``macro_f1``, ``balanced_accuracy`` and ``roc_auc``
    (binary: AUC of the second class; multi-class: one-vs-rest macro AUC; NaN when a
    class is absent from ``y_true``).
    """
    t = np.asarray(y_true).astype(str)
    p = np.asarray(y_pred).astype(str)
    labels = sorted(set(t) | set(p)) if classes is None else list(classes)
    out: dict[str, float] = {
        "n": float(len(t)),
        "accuracy": float(accuracy_score(t, p)),
        "macro_f1": float(f1_score(t, p, labels=sorted(set(t)), average="macro", zero_division=0)),
        "balanced_accuracy": float(balanced_accuracy_score(t, p)),
        "roc_auc": float("nan"),
    }
    if proba is not None and classes is not None:
        out["roc_auc"] = roc_auc(
            t, proba, classes=labels, average="macro", require_all_classes=True
        )
    return out


def top_class(proba: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """The most probable class name of each row of ``proba`` (columns in ``classes`` order)."""
    return np.asarray(classes, dtype=object)[np.asarray(proba).argmax(axis=1)]


def prediction_table(
    proba: np.ndarray, samples: Sequence[str] | pd.Index, classes: Sequence[str]
) -> pd.DataFrame:
    """Table indexed by sample: ``prediction`` (argmax) and one probability column per class."""
    df = pd.DataFrame(proba, index=pd.Index(samples, name="sample"), columns=list(classes))
    df.insert(0, "prediction", top_class(proba, classes))
    return df


def per_class_accuracy(
    y_true: Sequence[object] | np.ndarray, y_pred: Sequence[object] | np.ndarray
) -> pd.DataFrame:
    """Per true class: samples, correctly classified, accuracy (recall)."""
    t = np.asarray(y_true).astype(str)
    p = np.asarray(y_pred).astype(str)
    rows = []
    for c in sorted(set(t)):
        m = t == c
        rows.append({"class": c, "n": int(m.sum()), "correct": int((p[m] == c).sum())})
    df = pd.DataFrame(rows).set_index("class")
    df["accuracy"] = df["correct"] / df["n"]
    return df


def confusion_table(
    y_true: Sequence[object] | np.ndarray,
    y_pred: Sequence[object] | np.ndarray,
    classes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Confusion matrix as a DataFrame (rows: true class, columns: predicted class)."""
    t = np.asarray(y_true).astype(str)
    p = np.asarray(y_pred).astype(str)
    labels = list(classes) if classes is not None else sorted(set(t) | set(p))
    cm = confusion_matrix(t, p, labels=labels)
    return pd.DataFrame(
        cm, index=pd.Index(labels, name="true"), columns=pd.Index(labels, name="predicted")
    )


def summarize(per_fold: pd.DataFrame, *, by: str = "model") -> pd.DataFrame:
    """Mean and standard deviation (ddof=1) of every metric column over folds."""
    metrics = [c for c in per_fold.columns if c not in (by, "fold", "n")]
    agg = per_fold.groupby(by, sort=False)[metrics].agg(["mean", "std"])
    agg.columns = [f"{m}_{s}" for m, s in agg.columns]
    return agg


def plot_confusion(cm: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Heat map of a confusion table (counts annotated); returns the axes.

    Drawn by :func:`oncosig.pl.confusion_matrix` (the one confusion plot of oncosig) from
    the table's counts.
    """
    from oncosig.pl import confusion_matrix as plot

    counts = cm.to_numpy().astype(np.int64)
    rows, cols = np.nonzero(counts)
    reps = counts[rows, cols]
    y_true = np.repeat(np.asarray(cm.index, dtype=object)[rows], reps)
    y_pred = np.repeat(np.asarray(cm.columns, dtype=object)[cols], reps)
    labels = list(dict.fromkeys([*map(str, cm.index), *map(str, cm.columns)]))
    ax = plot(y_true, y_pred, labels=labels, ax=ax)
    if title:
        ax.set_title(title)
    return ax
