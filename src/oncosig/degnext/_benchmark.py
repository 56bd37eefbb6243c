"""Benchmark drivers: general learning per cohort, transfer, epoch time, robustness."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig.degnext._baselines import (
    BASELINES,
    EDGER_BASELINE,
    _flat,
    baseline_proba,
    edger_sign_baseline,
    fit_baselines,
    score_baselines,
)
from oncosig.degnext._cv import cv_bio, summarise_folds
from oncosig.degnext._data import GeneRows, make_rows, select_splits
from oncosig.degnext._estimator import DEGnext
from oncosig.degnext._metrics import classification_metrics
from oncosig.degnext._training import predict_proba_rows

log = logging.getLogger(__name__)

PAPER_TABLE3 = {
    "TCGA-BLCA": 95.69,
    "TCGA-CHOL": 98.26,
    "TCGA-COAD": 84.21,
    "TCGA-ESCA": 92.97,
    "TCGA-KICH": 98.75,
    "TCGA-READ": 86.05,
}
PAPER_TABLE2_MEAN = 98.9


def _splits(adata: AnnData) -> set[str]:
    return set(adata.obs["split"].astype(str))


def general_learning_cohort(
    adata: AnnData,
    *,
    model_kwargs: dict[str, Any],
    baselines: Sequence[str] = BASELINES,
    edger: bool = True,
    n_folds: int = 5,
    cv_folds: int = 0,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Level 1 on T1 (T2 where T1 is missing), level 2 on F1, score T3; baselines alike.

    Where F1 is missing, level 2 and the baselines run a ``n_folds``-fold CV over T3
    (predictions pooled over folds, metrics over all genes).  With ``cv_folds >= 2``,
    a ``cv_folds``-fold CV over all bio genes (F1 + T3) is added for DEGnext and every
    baseline (:func:`oncosig.degnext._cv.cv_bio`): rows with ``eval == "CV<k>"`` hold
    the mean over folds and ``<metric>_sd`` the SD; ``extras["cv_folds"]`` the
    per-fold table.

    Returns
    -------
    table, extras
        One row per (model, eval split) and the objects the robustness run needs.
    """
    cohort = str(adata.uns["cohort"])
    present = _splits(adata)
    l1 = "T1" if "T1" in present else ("T2" if "T2" in present else None)
    if l1 is None or "T3" not in present:
        log.warning("%s: no non-bio training split or no T3; general learning skipped", cohort)
        return pd.DataFrame(), {}
    rows: list[dict[str, Any]] = []
    model = DEGnext(**model_kwargs).fit(adata, splits=[l1])
    sf = model.size_factors[cohort]
    note = f"level1={l1}"
    if l1 == "T1" and "T2" in present:
        m2 = model.evaluate(adata, splits=["T2"], task="ternary")
        rows.append({"cohort": cohort, "model": "DEGnext", "eval": "T2", **_flat(m2), "note": note})
    test = make_rows(select_splits(adata, ["T3"]), sf)
    extras: dict[str, Any] = {"test": test}
    lfc_all: pd.Series | None = None
    if edger:
        try:
            _, lfc = edger_sign_baseline(adata, splits=None)
            lfc_all = pd.Series(lfc, index=adata.obs_names.astype(str))
        except (ImportError, AttributeError, ValueError, KeyError) as exc:
            log.warning("%s: edgeR sign baseline unavailable (%s)", cohort, exc)
    if "F1" in present:
        note += ",level2=F1"
        l1_model = copy.deepcopy(model) if cv_folds >= 2 else model
        model.finetune(adata, splits=["F1"])
        proba = model.predict_proba(adata, splits=["T3"], task="binary")
        train = make_rows(select_splits(adata, ["F1"]), sf)
        fitted = fit_baselines(train, names=baselines, seed=seed)
        table, scores = score_baselines(fitted, test, n_classes=2)
        extras.update(model=model, baselines=fitted)
    else:
        note += f",level2={n_folds}-fold CV on T3"
        l1_model = model
        per_fold, pooled, _ = cv_bio(
            model, adata, test, bio_splits=["T3"], n_folds=n_folds, baselines=baselines, seed=seed
        )
        proba = pooled.pop("DEGnext")
        scores = pooled
        recs = []
        for name, p in pooled.items():
            recs.append(
                {"model": name, **_flat(classification_metrics(test.y, np.argmax(p, 1), p[:, 1]))}
            )
        table = pd.DataFrame(recs)
    m = classification_metrics(test.y, np.argmax(proba, axis=1), proba[:, 1])
    rows.append({"cohort": cohort, "model": "DEGnext", "eval": "T3", **_flat(m), "note": note})
    extras["scores"] = {"DEGnext": proba[:, 1], **{k: v[:, 1] for k, v in scores.items()}}
    for r in table.to_dict("records"):
        rows.append({"cohort": cohort, "eval": "T3", **r, "note": note})
    if lfc_all is not None:
        lfc_t3 = lfc_all.reindex(test.genes.astype(str)).fillna(0.0).to_numpy()
        me = classification_metrics(test.y, (lfc_t3 > 0).astype(int), lfc_t3)
        rows.append(
            {
                "cohort": cohort,
                "model": EDGER_BASELINE,
                "eval": "T3",
                **_flat(me),
                "note": "no training",
            }
        )
        extras["scores"][EDGER_BASELINE] = lfc_t3
    if cv_folds >= 2:
        cv_rows, per_fold = _cv_section(
            l1_model, adata, sf, lfc_all, baselines=baselines, n_folds=cv_folds, seed=seed
        )
        rows += [{"cohort": cohort, **r} for r in cv_rows]
        extras["cv_folds"] = per_fold.assign(cohort=cohort)
    return pd.DataFrame(rows), extras


def _cv_section(
    model: DEGnext,
    adata: AnnData,
    sf: np.ndarray,
    lfc_all: pd.Series | None,
    *,
    baselines: Sequence[str],
    n_folds: int,
    seed: int,
) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    bio = [s for s in ("F1", "T3") if s in _splits(adata)]
    rows = make_rows(select_splits(adata, bio), sf)
    extra = {}
    if lfc_all is not None:
        extra[EDGER_BASELINE] = lfc_all.reindex(rows.genes.astype(str)).fillna(0.0).to_numpy()
    per_fold, _, _ = cv_bio(
        model,
        adata,
        rows,
        bio_splits=bio,
        n_folds=n_folds,
        baselines=baselines,
        extra_scores=extra,
        seed=seed,
    )
    summary = summarise_folds(per_fold)
    note = f"{n_folds}-fold CV over {'+'.join(bio)} ({rows.y.size} genes)"
    out = [{"eval": f"CV{n_folds}", **r, "note": note} for r in summary.to_dict("records")]
    return out, per_fold


def robustness(extras: dict[str, Any], *, seed: int = 0) -> pd.DataFrame:
    """Noise curves on one cohort's T3 rows for DEGnext and every fitted baseline."""
    from oncosig.degnext._robustness import noise_curves

    model: DEGnext = extras["model"]
    test: GeneRows = extras["test"]
    assert model.net is not None
    net = model.net
    preds: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "DEGnext": lambda x: np.argmax(predict_proba_rows(net, x), axis=1)
    }
    for name, est in extras.get("baselines", {}).items():
        preds[name] = _baseline_predictor(est)
    return noise_curves(preds, test.x, test.y, seed=seed)


def _baseline_predictor(est: Any) -> Callable[[np.ndarray], np.ndarray]:
    def fn(x: np.ndarray) -> np.ndarray:
        return np.argmax(baseline_proba(est, x, 2), axis=1)

    return fn
