"""Transfer learning: train on the large cohorts, score the bio sets of unseen cohorts.

The released data lack T1 (non_bio_train) for every training cohort and F1 for BRCA and
THCA, so the transfer model uses, for each training cohort, every non-bio row present
(T1 and T2; 3 classes) for level 1 and every bio row present (F1 and T3; DR/UR) for
level 2.  None of these rows belong to the unseen cohorts, whose bio sets (F1 + T3) are
scored with no training on them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anndata import AnnData

from oncosig._errors import OncosigInputError
from oncosig.degnext._estimator import DEGnext

log = logging.getLogger(__name__)

TRAIN_COHORTS: tuple[str, ...] = tuple(
    f"TCGA-{c}" for c in ("BRCA", "KIRC", "KIRP", "LIHC", "LUAD", "LUSC", "PRAD", "THCA", "UCEC")
)
UNSEEN_COHORTS: tuple[str, ...] = tuple(
    f"TCGA-{c}" for c in ("BLCA", "CHOL", "COAD", "ESCA", "KICH", "READ")
)
LEVEL1_SPLITS: tuple[str, ...] = ("T1", "T2")
LEVEL2_SPLITS: tuple[str, ...] = ("F1", "T3")
BIO_SPLITS: tuple[str, ...] = ("F1", "T3")


def _norm(c: str) -> str:
    c = c.strip().upper()
    return c if c.startswith("TCGA-") else f"TCGA-{c}"


def load_cohorts(data: str | Path, cohorts: Sequence[str]) -> list[AnnData]:
    """Read every cohort of ``cohorts`` that the folder holds (others are logged and skipped)."""
    from oncosig.io import list_degnext_cohorts, read_degnext

    present = set(list_degnext_cohorts(data).index)
    out = []
    for c in (_norm(x) for x in cohorts):
        if c not in present:
            log.warning("%s: cohort not found in %s; skipped", c, data)
            continue
        try:
            out.append(read_degnext(data, cohort=c))
        except OncosigInputError as exc:
            log.warning("%s: skipped (%s)", c, exc)
    if not out:
        raise OncosigInputError(
            f"none of the cohorts {', '.join(cohorts)} could be read", path=Path(data)
        )
    return out


def _has(adata: AnnData, splits: Sequence[str]) -> bool:
    return bool(adata.obs["split"].astype(str).isin(list(splits)).any())


def train_transfer(
    data: str | Path | Sequence[AnnData],
    *,
    cohorts: Sequence[str] = TRAIN_COHORTS,
    model: DEGnext | None = None,
    level1_splits: Sequence[str] = LEVEL1_SPLITS,
    level2_splits: Sequence[str] = LEVEL2_SPLITS,
) -> tuple[DEGnext, dict[str, Any]]:
    """Train the transfer model on the training cohorts.

    Parameters
    ----------
    data
        A DEGnext-layout folder or already-read cohorts.
    cohorts
        Training cohorts (paper: the nine large ones).
    model
        An untrained :class:`DEGnext` carrying the hyper-parameters (default settings
        otherwise).
    level1_splits, level2_splits
        Splits used per level (see the module notes).

    Returns
    -------
    model, summary
        The trained model and which splits of which cohorts were used.
    """
    adatas = load_cohorts(data, cohorts) if isinstance(data, str | Path) else list(data)
    model = model or DEGnext()
    l1 = [a for a in adatas if _has(a, level1_splits)]
    l2 = [a for a in adatas if _has(a, level2_splits)]
    if not l1 or not l2:
        raise OncosigInputError(
            "transfer training needs non-bio (T1/T2) and bio (F1/T3) genes in the training cohorts"
        )
    summary = {
        "level1": {
            a.uns["cohort"]: sorted(set(a.obs["split"].astype(str)) & set(level1_splits))
            for a in l1
        },
        "level2": {
            a.uns["cohort"]: sorted(set(a.obs["split"].astype(str)) & set(level2_splits))
            for a in l2
        },
        "missing_splits": {a.uns["cohort"]: list(a.uns.get("missing_splits", [])) for a in adatas},
    }
    log.info("transfer level 1 on %s", summary["level1"])
    model.fit(l1, splits=level1_splits)
    log.info("transfer level 2 on %s", summary["level2"])
    model.finetune(l2, splits=level2_splits)
    model.history["transfer"] = summary
    return model, summary


def evaluate_cohort(
    model: DEGnext,
    data: str | Path | AnnData,
    *,
    cohort: str | None = None,
    splits: Sequence[str] = BIO_SPLITS,
) -> dict[str, Any]:
    """Score a cohort's bio set (default F1 + T3) with a trained model.

    ``data`` may be a folder holding only that cohort.  Size factors come from the
    cohort's non-bio rows when the folder has them (labels unused), else from the scored
    rows (see :class:`DEGnext`).
    """
    if isinstance(data, AnnData):
        adata = data
    else:
        from oncosig.io import read_degnext

        adata = read_degnext(data, cohort=None if cohort is None else _norm(cohort))
    present = [s for s in splits if _has(adata, [s])]
    if not present:
        raise OncosigInputError(
            f"{adata.uns.get('cohort')}: none of the splits {', '.join(splits)} is present"
        )
    metrics = model.evaluate(adata, splits=present, task="binary")
    metrics["cohort"] = adata.uns.get("cohort")
    metrics["splits"] = present
    return metrics
