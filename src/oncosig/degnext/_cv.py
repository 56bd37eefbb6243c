"""k-fold cross-validation over the labelled bio genes of one cohort.

Level 1 (3 classes) is trained once on the non-bio genes, which never overlap the bio
genes; each fold then fine-tunes a copy of it (level 2, DR vs UR) on the other folds'
bio genes and scores the held-out fold.  The classical baselines are fitted on the same
training folds (same scaled rows) and the statistical edgeR-sign baseline, which needs
no training, is scored on the same test folds.  Metrics are computed over all genes of
each test fold and reported as mean and standard deviation over folds.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._errors import OncosigInputError
from oncosig.degnext._baselines import BASELINES, _flat, baseline_proba, fit_baselines
from oncosig.degnext._data import GeneRows
from oncosig.degnext._estimator import DEGnext
from oncosig.degnext._metrics import classification_metrics

SUMMARY_KEYS = ("accuracy", "precision", "recall", "f1", "mcc", "roc_auc")


def stratified_folds(y: np.ndarray, n_folds: int, *, seed: int = 0) -> np.ndarray:
    """Fold number (0..n_folds-1) of every gene, stratified by label.

    Each label's genes are shuffled with ``seed`` and dealt to the folds in turn, so
    the folds are disjoint, cover every gene and hold each label in near-equal shares.

    Parameters
    ----------
    y
        Labels of the genes.
    n_folds
        Number of folds (>= 2, at most the number of genes).
    seed
        Shuffling seed.
    """
    y = np.asarray(y)
    if n_folds < 2:
        raise OncosigInputError(f"cross-validation needs at least 2 folds, got {n_folds}")
    if y.size < n_folds:
        raise OncosigInputError(f"{y.size} genes cannot fill {n_folds} folds; use fewer folds")
    rng = np.random.default_rng(seed)
    fold = np.empty(y.size, dtype=np.int64)
    start = 0
    for lab in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == lab))
        fold[idx] = (np.arange(idx.size) + start) % n_folds
        start += idx.size  # continue dealing where the last label stopped (balanced sizes)
    return fold


def _with_splits(adata: AnnData, rows_mask: np.ndarray, train: np.ndarray) -> AnnData:
    """The cohort's ``rows_mask`` genes, the training ones named F1 and the rest T3."""
    sub = adata[rows_mask].copy()
    sub.obs["split"] = np.where(train, "F1", "T3")
    return sub


def cv_bio(
    model: DEGnext,
    adata: AnnData,
    rows: GeneRows,
    *,
    bio_splits: Sequence[str],
    n_folds: int = 5,
    baselines: Sequence[str] = BASELINES,
    extra_scores: dict[str, np.ndarray] | None = None,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """k-fold CV of level 2 and the baselines over a cohort's bio genes.

    Parameters
    ----------
    model
        DEGnext after level 1 (:meth:`DEGnext.fit`); it is copied for every fold.
    adata
        The whole cohort (DEGnext AnnData).
    rows
        Scaled rows of the genes of ``bio_splits`` (same order as in ``adata``), with
        labels 0/1.
    bio_splits
        The splits those rows come from (e.g. ``("F1", "T3")``).
    n_folds, seed
        Folds (stratified, :func:`stratified_folds`).
    baselines
        Classical baselines fitted per fold.
    extra_scores
        name -> score of class 1 for models that need no training (e.g. the edgeR sign
        baseline); scored on the same test folds with the 0 threshold.

    Returns
    -------
    per_fold, pooled, fold
        One row per (model, fold) with every metric; out-of-fold class probabilities
        ``(n_genes, 2)`` per model; the fold of every gene.
    """
    y = rows.y
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise OncosigInputError(f"{rows.cohort}: CV over bio genes needs DR/UR labels (0/1)")
    mask = adata.obs["split"].astype(str).isin(list(bio_splits)).to_numpy()
    if int(mask.sum()) != y.size:
        raise OncosigInputError(f"{rows.cohort}: rows do not match the bio splits' genes")
    fold = stratified_folds(y, n_folds, seed=seed)
    pooled = {name: np.zeros((y.size, 2)) for name in ["DEGnext", *baselines]}
    recs: list[dict[str, Any]] = []
    for k in range(n_folds):
        te = fold == k
        if not te.any() or np.unique(y[~te]).size < 2:
            continue
        sub = _with_splits(adata, mask, ~te)
        m = copy.deepcopy(model).finetune(sub, splits=["F1"])
        probs = {"DEGnext": m.predict_proba(sub, splits=["T3"], task="binary")}
        for name, est in fit_baselines(rows.take(~te), names=baselines, seed=seed).items():
            probs[name] = baseline_proba(est, rows.x[te], 2)
        for name, p in probs.items():
            pooled[name][te] = p
            mm = classification_metrics(y[te], np.argmax(p, axis=1), p[:, 1])
            recs.append({"model": name, "fold": k, **_flat(mm)})
        for name, s in (extra_scores or {}).items():
            mm = classification_metrics(y[te], (s[te] > 0).astype(int), s[te])
            recs.append({"model": name, "fold": k, **_flat(mm)})
    return pd.DataFrame(recs), pooled, fold


def summarise_folds(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD over folds of every metric, one row per model (``<metric>_sd`` columns)."""
    g = per_fold.groupby("model", sort=False)
    mean = g[list(SUMMARY_KEYS)].mean()
    sd = g[list(SUMMARY_KEYS)].std(ddof=1).add_suffix("_sd")
    out = pd.concat([mean, sd], axis=1)
    out["n_folds"] = g.size()
    out["n_genes"] = g["n_genes"].sum()
    return out.reset_index()
