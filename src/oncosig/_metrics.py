"""ROC AUC over all samples, shared by the GeneXNet and DEGnext metrics.

One implementation of the binary / one-vs-rest AUC rules; :func:`oncosig.genexnet.
classification_metrics` (class names, macro average, every class required) and
:func:`oncosig.degnext.classification_metrics` (integer labels, weighted average over
the classes present) call it with their own options.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score


def roc_auc(
    y_true: Sequence[Any] | np.ndarray,
    scores: np.ndarray | None,
    *,
    classes: Sequence[Any] | None = None,
    average: str = "macro",
    require_all_classes: bool = False,
) -> float:
    """ROC AUC of ``scores`` for the labels ``y_true``; NaN when it cannot be computed.

    Parameters
    ----------
    y_true
        True label of every sample.
    scores
        1-D: the score of the positive class ``classes[1]``; 2-D ``(n, len(classes))``:
        class probabilities (two columns: binary AUC of the second class; more:
        one-vs-rest over the classes present, their columns renormalised).
    classes
        The label of each score column (default ``0, 1, ...``).
    average
        One-vs-rest average: ``"macro"`` or ``"weighted"``.
    require_all_classes
        One-vs-rest only when every class occurs in ``y_true`` (else NaN).

    Returns
    -------
    The AUC, or NaN with fewer than two classes present, labels outside ``classes`` or
    scores sklearn cannot rank.
    """
    if scores is None:
        return math.nan
    y = np.asarray(y_true)
    s = np.asarray(scores, dtype=np.float64)
    n_cols = 2 if s.ndim == 1 else s.shape[1]
    cls = list(range(n_cols)) if classes is None else list(classes)
    present = np.unique(y)
    if present.size < 2 or not set(present.tolist()) <= set(cls):
        return math.nan
    try:
        if s.ndim == 1 or s.shape[1] == 2:
            if not set(present.tolist()) <= set(cls[:2]):
                return math.nan
            return float(roc_auc_score(y == cls[1], s if s.ndim == 1 else s[:, 1]))
        if require_all_classes and present.size != len(cls):
            return math.nan
        cols = s[:, [cls.index(c) for c in present.tolist()]]
        cols = cols / np.clip(cols.sum(axis=1, keepdims=True), 1e-12, None)
        if present.size == 2:
            return float(roc_auc_score(y == present[1], cols[:, 1]))
        return float(roc_auc_score(y, cols, multi_class="ovr", average=average, labels=present))
    except ValueError:
        return math.nan
