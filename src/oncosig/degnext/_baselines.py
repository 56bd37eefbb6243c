"""Classical baselines and the statistical "sign of the edgeR logFC" baseline.

The classical models see exactly the rows DEGnext sees (same splits, same scaled
inputs); they come from the shared registry (:func:`oncosig.models.create_model`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import OBS_CONDITION
from oncosig._errors import OncosigInputError
from oncosig.degnext._data import GeneRows, samples_view, select_splits
from oncosig.degnext._metrics import classification_metrics
from oncosig.models import create_model

log = logging.getLogger(__name__)

BASELINES: tuple[str, ...] = (
    "decision_tree",
    "knn",
    "random_forest",
    "svm",
    "xgboost",
    "logreg",
    "naive_bayes",
)
EDGER_BASELINE = "edger_logfc_sign"


def fit_baselines(
    train: GeneRows, *, names: Sequence[str] = BASELINES, seed: int = 0
) -> dict[str, Any]:
    """Fit every classical baseline on the scaled rows of one cohort.

    Parameters
    ----------
    train
        Training rows (labels 0..K-1 as in the DEGnext level being compared).
    names
        Registered baseline names.
    seed
        Seed passed to the models that take one.

    Returns
    -------
    name -> fitted estimator.
    """
    y = np.asarray(train.y)
    classes = np.unique(y)
    if classes.size < 2:
        raise OncosigInputError(f"{train.cohort}: baselines need at least two classes in training")
    out: dict[str, Any] = {}
    for name in names:
        kwargs: dict[str, Any] = {}
        if name in {"decision_tree", "svm", "random_forest", "logreg", "xgboost"}:
            kwargs["seed"] = seed
        if name == "random_forest":
            kwargs["n_jobs"] = 1
        if name == "xgboost":
            kwargs["n_jobs"] = 1
        model = create_model(name, **kwargs)
        model.fit(train.x, _encode(y, classes))
        model.oncosig_classes_ = classes
        out[name] = model
    return out


def _encode(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return np.searchsorted(classes, y)


def baseline_proba(model: Any, x: np.ndarray, n_classes: int) -> np.ndarray:
    """Probabilities of a fitted baseline in DEGnext's label order (columns 0..n_classes-1)."""
    p = np.asarray(model.predict_proba(x), dtype=np.float64)
    out = np.zeros((x.shape[0], n_classes))
    out[:, model.oncosig_classes_] = p
    return out


def score_baselines(
    models: dict[str, Any], test: GeneRows, *, n_classes: int
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Metrics of every fitted baseline on ``test`` (over all genes) and their scores."""
    rows, scores = [], {}
    for name, model in models.items():
        proba = baseline_proba(model, test.x, n_classes)
        pred = np.argmax(proba, axis=1)
        m = classification_metrics(test.y, pred, proba[:, 1] if n_classes == 2 else proba)
        rows.append({"model": name, **_flat(m)})
        scores[name] = proba
    return pd.DataFrame(rows), scores


def _flat(m: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in m.items() if k not in {"confusion", "labels"}}


def edger_sign_baseline(
    adata: AnnData,
    *,
    splits: Sequence[str] | None = ("T3",),
    de_fn: Callable[..., pd.DataFrame] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """DR/UR = the sign of edgeR's log fold change (tumour vs normal); needs no training.

    Runs :func:`oncosig.de.differential_expression` (``method="edger-lrt"``) on the
    cohort's full count matrix (every row of ``adata``, i.e. every split file present).
    By its nature it reads the test genes' own counts — it is a statistical reference,
    not a learned model.

    Parameters
    ----------
    adata
        A DEGnext AnnData (genes as observations), ideally with all splits.
    splits
        Rows to return.
    de_fn
        Replacement for ``oncosig.de.differential_expression`` (tests).

    Returns
    -------
    labels, logfc
        0 (DR) where logFC < 0, else 1 (UR); and the logFC as a score.
    """
    if de_fn is None:
        from oncosig.de import differential_expression as de_fn_impl

        de_fn = de_fn_impl
    res = de_fn(samples_view(adata), groupby=OBS_CONDITION, reference="normal", method="edger-lrt")
    sub = select_splits(adata, splits)
    logfc = res["logFC"].reindex(sub.obs_names.astype(str)).to_numpy(dtype=np.float64)
    logfc = np.nan_to_num(logfc, nan=0.0)
    return (logfc > 0).astype(int), logfc


def fit_transfer_baselines(
    train: Sequence[GeneRows], *, names: Sequence[str] = BASELINES, seed: int = 0
) -> dict[str, Any]:
    """Fit the classical baselines on several cohorts' rows through length-free features.

    Rows of different cohorts have different lengths, so each row is replaced by
    :func:`oncosig.degnext._features.summary_features` (per-group means, SDs, quantiles
    and group differences) before the training cohorts are pooled.

    Parameters
    ----------
    train
        Scaled rows (with their normal masks) of the training cohorts, DR/UR labels.
    names, seed
        As in :func:`fit_baselines`.

    Returns
    -------
    name -> fitted estimator (it expects featurised rows; see :func:`score_transfer_baselines`).
    """
    from oncosig.degnext._features import featurise

    parts = [featurise(p) for p in train]
    pooled = GeneRows(
        x=np.vstack([p.x for p in parts]),
        y=np.concatenate([p.y for p in parts]),
        cohort="+".join(p.cohort for p in parts),
        genes=np.concatenate([p.genes for p in parts]),
    )
    return fit_baselines(pooled, names=names, seed=seed)


def score_transfer_baselines(
    models: dict[str, Any], test: GeneRows
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Score a cohort never trained on with baselines from :func:`fit_transfer_baselines`."""
    from oncosig.degnext._features import featurise

    return score_baselines(models, featurise(test), n_classes=2)
