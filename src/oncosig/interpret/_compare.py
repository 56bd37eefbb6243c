"""Other attributions (captum) and the agreement between gene rankings.

Gene-CAM is compared with integrated gradients and saliency (captum) on the same samples
and targets, and across models trained with different seeds, by Spearman rank correlation
of the per-sample gene scores and by the Jaccard index of the top-k genes.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
import torch
from scipy.stats import rankdata
from torch import nn

from oncosig._errors import OncosigInputError
from oncosig.interpret._gradcam import Target, eval_mode, gene_cam, resolve_targets


def attribution_maps(
    model: nn.Module,
    x: torch.Tensor | np.ndarray,
    *,
    method: Literal["gradcam", "integrated_gradients", "saliency"],
    target: Target = None,
    batch_size: int = 64,
    n_steps: int = 32,
) -> np.ndarray:
    """Per-sample attribution maps ``(n, H, W)`` on the input grid.

    Parameters
    ----------
    model
        The network.
    x
        Gene images ``(n, channels, H, W)``.
    method
        ``"gradcam"`` (:func:`gene_cam`), ``"integrated_gradients"`` (captum, zero
        baseline, i.e. the training mean for z-scored inputs; summed over channels) or ``"saliency"``
        (captum, absolute gradient, max over channels).
    target
        ``None`` (predicted class), a class index or one per sample.
    batch_size
        Samples per pass.
    n_steps
        Integration steps of integrated gradients.
    """
    if method == "gradcam":
        return gene_cam(model, x, target=target, batch_size=batch_size)
    from captum.attr import IntegratedGradients, Saliency

    xt = torch.as_tensor(x, dtype=torch.float32)
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    tgt_all = None if target is None else np.broadcast_to(np.asarray(target), (xt.shape[0],))
    out = []
    with eval_mode(model):
        for start in range(0, xt.shape[0], batch_size):
            xb = xt[start : start + batch_size].to(device)
            with torch.no_grad():
                logits = model(xb)
            tb = None if tgt_all is None else tgt_all[start : start + batch_size]
            targets = resolve_targets(logits, tb)
            if logits.ndim == 2 and logits.shape[1] == 1:
                raise OncosigInputError(
                    "captum comparisons need a multi-logit head; use method='gradcam'"
                )
            xb = xb.detach().requires_grad_(True)
            if method == "integrated_gradients":
                attr = IntegratedGradients(model).attribute(
                    xb, baselines=torch.zeros_like(xb), target=targets, n_steps=n_steps
                )
                out.append(attr.sum(dim=1).detach().cpu().double().numpy())
            elif method == "saliency":
                attr = Saliency(model).attribute(xb, target=targets, abs=True)
                out.append(attr.amax(dim=1).detach().cpu().double().numpy())
            else:
                raise OncosigInputError(
                    f"unknown method {method!r}; use gradcam, integrated_gradients or saliency"
                )
    return np.concatenate(out, axis=0)


def _aligned(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    genes = a.columns.intersection(b.columns)
    samples = a.index.intersection(b.index)
    if len(genes) == 0 or len(samples) == 0:
        raise OncosigInputError("the two score tables share no samples or no genes")
    return (
        np.nan_to_num(a.loc[samples, genes].to_numpy(float), nan=-np.inf),
        np.nan_to_num(b.loc[samples, genes].to_numpy(float), nan=-np.inf),
    )


def _rowwise_spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx**2).sum(1) * (ry**2).sum(1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(1) / den, np.nan)


def top_k_jaccard(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Row-wise Jaccard index of the top-``k`` columns of two score matrices."""
    x = np.atleast_2d(x)
    y = np.atleast_2d(y)
    k = int(min(k, x.shape[1]))
    tx = np.argpartition(-x, k - 1, axis=1)[:, :k]
    ty = np.argpartition(-y, k - 1, axis=1)[:, :k]
    out = np.empty(len(x))
    for i in range(len(x)):
        inter = np.intersect1d(tx[i], ty[i]).size
        out[i] = inter / (2 * k - inter)
    return out


def rank_agreement(a: pd.DataFrame, b: pd.DataFrame, *, k: int = 50) -> pd.DataFrame:
    """Per-sample agreement of two gene-score tables (samples x genes).

    Returns
    -------
    DataFrame indexed by sample with ``spearman`` (over all shared genes) and ``jaccard``
    (top ``k`` genes).
    """
    x, y = _aligned(a, b)
    samples = a.index.intersection(b.index)
    return pd.DataFrame(
        {"spearman": _rowwise_spearman(x, y), "jaccard": top_k_jaccard(x, y, k)}, index=samples
    )


def method_agreement(scores: Mapping[str, pd.DataFrame], *, k: int = 50) -> pd.DataFrame:
    """Mean per-sample agreement between every pair of attribution methods (or seeds).

    Parameters
    ----------
    scores
        ``{name: samples x genes scores}`` on the same samples.
    k
        Top-k for the Jaccard index.

    Returns
    -------
    DataFrame with columns ``a, b, spearman, jaccard, n_samples``.
    """
    if len(scores) < 2:
        raise OncosigInputError("need at least two score tables to compare")
    rows = []
    for (na, sa), (nb, sb) in itertools.combinations(scores.items(), 2):
        agg = rank_agreement(sa, sb, k=k)
        rows.append((na, nb, float(agg["spearman"].mean()), float(agg["jaccard"].mean()), len(agg)))
    return pd.DataFrame(rows, columns=["a", "b", "spearman", "jaccard", "n_samples"])


def ranking_overlap(rankings: Sequence[pd.DataFrame], *, k: int = 50) -> pd.DataFrame:
    """Overlap of per-class top-``k`` gene lists across rankings (e.g. training seeds).

    Parameters
    ----------
    rankings
        Outputs of :func:`rank_genes` (with at least ``k`` genes per class).
    k
        Genes per class compared.

    Returns
    -------
    DataFrame per class: ``n_common`` (genes in every ranking's top k), ``jaccard_mean``
    (mean pairwise Jaccard index).
    """
    if len(rankings) < 2:
        raise OncosigInputError("need at least two rankings to compare")
    classes = sorted(set.intersection(*(set(r["class"].astype(str)) for r in rankings)))
    rows = []
    for cls in classes:
        tops = [
            set(r[(r["class"].astype(str) == cls) & (r["rank"] <= k)]["gene"].astype(str))
            for r in rankings
        ]
        pairs = [len(p & q) / max(len(p | q), 1) for p, q in itertools.combinations(tops, 2)]
        rows.append((cls, len(set.intersection(*tops)), float(np.mean(pairs)), k))
    return pd.DataFrame(rows, columns=["class", "n_common", "jaccard_mean", "k"])
