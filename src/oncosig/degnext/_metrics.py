"""Classification metrics over all genes at once (never averaged per batch)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    matthews_corrcoef,
    precision_score,
    recall_score,
)

from oncosig._metrics import roc_auc

METRIC_KEYS = ("accuracy", "precision", "recall", "f1", "mcc", "roc_auc", "n_genes")


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None = None
) -> dict[str, Any]:
    """Accuracy, weighted precision/recall/F1, MCC, ROC AUC and the confusion matrix.

    Parameters
    ----------
    y_true, y_pred
        Integer labels of every gene (0 DR, 1 UR, 2 neutral).
    scores
        Scores for ROC AUC: a 1-D array = the probability of class 1 (binary task), or
        ``(n_genes, n_classes)`` class probabilities (one-vs-rest, weighted average).
        ``roc_auc`` is NaN when it cannot be computed (one class only, no scores).

    Returns
    -------
    dict with ``accuracy``, ``precision``, ``recall``, ``f1``, ``mcc``, ``roc_auc`` (floats
    in [0, 1], MCC in [-1, 1]), ``n_genes`` and ``confusion`` (list of lists, rows = true
    labels in ``labels`` order) and ``labels``.
    """
    y_true = np.asarray(y_true).astype(int).ravel()
    y_pred = np.asarray(y_pred).astype(int).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} true labels but {y_pred.size} predictions")
    if y_true.size == 0:
        raise ValueError("no genes to score")
    labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out: dict[str, Any] = {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "precision": float(
                precision_score(y_true, y_pred, average="weighted", zero_division=0)
            ),
            "recall": float(recall_score(y_true, y_pred, average="weighted", zero_division=0)),
            "f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
            "mcc": float(matthews_corrcoef(y_true, y_pred)),
        }
    out["roc_auc"] = _roc_auc(y_true, scores)
    out["n_genes"] = int(y_true.size)
    out["labels"] = labels
    out["confusion"] = confusion_matrix(y_true, y_pred, labels=labels).tolist()
    return out


def _roc_auc(y_true: np.ndarray, scores: np.ndarray | None) -> float:
    return roc_auc(y_true, scores, average="weighted")
