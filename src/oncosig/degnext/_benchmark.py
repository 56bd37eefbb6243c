"""Benchmark drivers: general learning per cohort, transfer, epoch time, robustness."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
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
from oncosig.degnext._data import GeneRows, make_rows, select_splits
from oncosig.degnext._estimator import DEGnext
from oncosig.degnext._metrics import classification_metrics
from oncosig.degnext._training import predict_proba_rows, train_level
from oncosig.models import create_model

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


def _relabel(adata: AnnData, train_mask: np.ndarray) -> AnnData:
    sub = adata.copy()
    sub.obs["split"] = np.where(train_mask, "F1", "T3")
    return sub


def general_learning_cohort(
    adata: AnnData,
    *,
    model_kwargs: dict[str, Any],
    baselines: Sequence[str] = BASELINES,
    edger: bool = True,
    n_folds: int = 5,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Level 1 on T1 (T2 where T1 is missing), level 2 on F1, score T3; baselines alike.

    Where F1 is missing, level 2 and the baselines run a ``n_folds``-fold CV over T3
    (predictions pooled over folds, metrics over all genes).

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
    if "F1" in present:
        note += ",level2=F1"
        model.finetune(adata, splits=["F1"])
        proba = model.predict_proba(adata, splits=["T3"], task="binary")
        train = make_rows(select_splits(adata, ["F1"]), sf)
        fitted = fit_baselines(train, names=baselines, seed=seed)
        table, scores = score_baselines(fitted, test, n_classes=2)
        extras.update(model=model, baselines=fitted)
    else:
        note += f",level2={n_folds}-fold CV on T3"
        proba, table, scores = _cv_t3(model, adata, test, baselines, n_folds, seed)
    m = classification_metrics(test.y, np.argmax(proba, axis=1), proba[:, 1])
    rows.append({"cohort": cohort, "model": "DEGnext", "eval": "T3", **_flat(m), "note": note})
    extras["scores"] = {"DEGnext": proba[:, 1], **{k: v[:, 1] for k, v in scores.items()}}
    for r in table.to_dict("records"):
        rows.append({"cohort": cohort, "eval": "T3", **r, "note": note})
    if edger:
        try:
            pred, lfc = edger_sign_baseline(adata, splits=["T3"])
            me = classification_metrics(test.y, pred, lfc)
            rows.append(
                {
                    "cohort": cohort,
                    "model": EDGER_BASELINE,
                    "eval": "T3",
                    **_flat(me),
                    "note": "no training",
                }
            )
            extras["scores"][EDGER_BASELINE] = lfc
        except (ImportError, AttributeError, ValueError, KeyError) as exc:
            log.warning("%s: edgeR sign baseline unavailable (%s)", cohort, exc)
    return pd.DataFrame(rows), extras


def _cv_t3(
    model: DEGnext,
    adata: AnnData,
    test: GeneRows,
    baselines: Sequence[str],
    n_folds: int,
    seed: int,
) -> tuple[np.ndarray, pd.DataFrame, dict[str, np.ndarray]]:
    t3 = select_splits(adata, ["T3"])
    y = test.y
    rng = np.random.default_rng(seed)
    fold = np.zeros(len(y), dtype=int)
    for lab in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == lab))
        fold[idx] = np.arange(idx.size) % n_folds
    proba = np.zeros((len(y), 2))
    bscores = {b: np.zeros((len(y), 2)) for b in baselines}
    for k in range(n_folds):
        te = fold == k
        m = copy.deepcopy(model).finetune(_relabel(t3, ~te), splits=["F1"])
        proba[te] = m.predict_proba(_relabel(t3, ~te), splits=["T3"], task="binary")
        tr_rows = GeneRows(test.x[~te], y[~te], test.cohort, test.genes[~te])
        for name, est in fit_baselines(tr_rows, names=baselines, seed=seed).items():
            bscores[name][te] = baseline_proba(est, test.x[te], 2)
    recs = []
    for name, p in bscores.items():
        mm = classification_metrics(y, np.argmax(p, axis=1), p[:, 1])
        recs.append({"model": name, **_flat(mm)})
    return proba, pd.DataFrame(recs), bscores


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


def time_epoch(
    rows: GeneRows,
    *,
    arch: str = "degnext_fast",
    precision: str = "bf16-mixed",
    channels_last: bool = True,
    batch_size: int = 256,
    seed: int = 0,
) -> float:
    """Seconds of one Lightning training epoch (3 classes) over ``rows``."""
    torch.manual_seed(seed)
    net = create_model(arch, num_classes=3)
    t0 = time.perf_counter()
    train_level(
        net,
        [rows],
        lr=1e-4,
        batch_size=batch_size,
        max_epochs=1,
        patience=0,
        precision=precision,
        channels_last=channels_last,
        progress=False,
        seed=seed,
    )
    return time.perf_counter() - t0


def time_reference_style_epoch(rows: GeneRows, *, n_steps: int = 3, batch_size: int = 256) -> float:
    """Seconds per epoch of the reference set-up, extrapolated from ``n_steps`` steps.

    The reference configuration: published widths, float32, contiguous memory, a
    per-gene ``Dataset`` that reshapes each numpy row in Python, batch 256, shuffling.
    """
    from torch.utils.data import DataLoader, Dataset

    from oncosig.models.networks._degnext import degnext_grid

    h, w, m = degnext_grid(rows.x.shape[1])

    class _PerGene(Dataset[tuple[torch.Tensor, int]]):
        def __len__(self) -> int:
            return len(rows.y)

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            r = np.zeros(m, dtype=np.float64)
            r[: rows.x.shape[1]] = rows.x[i]
            return torch.from_numpy(np.reshape(r, (1, h, w))).float(), int(rows.y[i])

    torch.manual_seed(0)
    net = create_model("degnext", num_classes=3)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    loader = DataLoader(_PerGene(), batch_size=batch_size, shuffle=True)
    n_batches = len(loader)
    it = iter(loader)
    times = []
    for _ in range(min(n_steps + 1, n_batches)):
        t0 = time.perf_counter()
        x, y = next(it)
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    per_step = float(np.mean(times[1:])) if len(times) > 1 else times[0]
    return per_step * n_batches
