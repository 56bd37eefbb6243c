"""Transfer learning vs training from scratch on the same folds (the paper's Table I)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData
from tqdm.auto import tqdm

from oncosig.genexnet._data import participants, resolve_labels
from oncosig.genexnet._estimator import GeneImageClassifier
from oncosig.genexnet._metrics import classification_metrics
from oncosig.genexnet._splits import make_folds

logger = logging.getLogger(__name__)


def compare_transfer(
    pretrained: GeneImageClassifier,
    adata: AnnData,
    *,
    label_key: str | None = None,
    y: Sequence[object] | np.ndarray | pd.Series | None = None,
    n_splits: int = 5,
    seed: int = 0,
    group_key: str | None = "participant",
    finetune_params: Mapping[str, Any] | None = None,
    scratch_params: Mapping[str, Any] | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Fine-tune a pre-trained model and train one from scratch on each fold; score both.

    Parameters
    ----------
    pretrained
        A fitted model (e.g. GeneXNet on the 7-cohort data).  Each fold fine-tunes a copy:
        the cohort is aligned to its genes, the head is replaced, then trained with the
        backbone frozen and afterwards unfrozen (:meth:`GeneImageClassifier.finetune`).
    adata
        The target cohort (samples x genes, raw counts).
    label_key, y
        Labels of the target task (e.g. tumour vs normal).
    n_splits, seed, group_key
        Folds (stratified, participant-grouped) shared by both arms.
    finetune_params
        Keyword arguments of ``finetune`` (``freeze_epochs``, ``max_epochs``, ``lr``, ...).
    scratch_params
        Estimator overrides for the from-scratch arm (default: the pre-trained model's own
        parameters, i.e. the same architecture and training options, on the cohort's genes).
    progress
        Progress bar over folds.

    Returns
    -------
    One row per (fold, mode) with ``mode`` in {"scratch", "transfer"}: accuracy, macro F1,
    balanced accuracy, ROC AUC and seconds.
    """
    labels = resolve_labels(adata, y, label_key)
    groups = participants(adata, group_key)
    folds = make_folds(labels, groups, n_splits=n_splits, seed=seed)
    params = pretrained.get_params()
    arch = params.pop("arch")
    params.update(scratch_params or {})
    params["seed"] = seed
    rows: list[dict[str, Any]] = []
    for k in tqdm(range(n_splits), desc="transfer vs scratch", disable=not progress):
        tr, te = np.flatnonzero(folds != k), np.flatnonzero(folds == k)
        train, test = adata[tr], adata[te]
        for mode in ("scratch", "transfer"):
            t0 = time.perf_counter()
            if mode == "scratch":
                model = GeneImageClassifier(arch, **params)
                model.fit(train, labels[tr], group_key=group_key)
            else:
                model = pretrained.copy()
                model.seed = seed
                model.finetune(
                    train, labels[tr], group_key=group_key, **dict(finetune_params or {})
                )
            proba = model.predict_proba(test)
            pred = np.asarray(model.classes_, dtype=object)[proba.argmax(1)]
            m = classification_metrics(labels[te], pred, proba, model.classes_)
            rows.append({"fold": k, "mode": mode, **m, "seconds": time.perf_counter() - t0})
    return pd.DataFrame(rows)
