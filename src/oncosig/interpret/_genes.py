"""From pixel maps to genes: per-sample gene scores, per-class rankings, shared genes."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from oncosig._errors import OncosigInputError
from oncosig.interpret._gradcam import eval_mode, gene_cam

Method = Literal["gradcam", "integrated_gradients", "saliency"]


def pixels_to_genes(maps: np.ndarray, pixel_genes: np.ndarray, n_genes: int) -> np.ndarray:
    """Average pixel maps over the pixels of each gene; padding pixels (``-1``) are dropped.

    Parameters
    ----------
    maps
        ``(n, H, W)`` (or ``(n, H*W)``) maps on the input grid.
    pixel_genes
        Gene index of every pixel, row-major, ``-1`` for padding (``GeneGrid.pixel_genes()``).
    n_genes
        Number of genes of the layout.

    Returns
    -------
    ``(n, n_genes)`` array; a gene that owns no pixel gets NaN.
    """
    pg = np.asarray(pixel_genes, dtype=np.int64).ravel()
    flat = np.asarray(maps, dtype=float).reshape(len(maps), -1)
    if flat.shape[1] != pg.size:
        raise OncosigInputError(
            f"maps have {flat.shape[1]} pixels but the layout describes {pg.size}"
        )
    if pg.max(initial=-1) >= n_genes:
        raise OncosigInputError("the layout refers to more genes than the model has")
    keep = np.flatnonzero(pg >= 0)
    counts = np.bincount(pg[keep], minlength=n_genes).astype(float)
    weights = 1.0 / counts[pg[keep]]
    proj = sp.csr_matrix((weights, (keep, pg[keep])), shape=(pg.size, n_genes))
    out = np.asarray(flat @ proj)
    out[:, counts == 0] = np.nan
    return out


def _grid_layout(estimator: Any) -> tuple[list[str], np.ndarray]:
    grid = getattr(estimator, "grid", None)
    if grid is None or not hasattr(grid, "pixel_genes"):
        raise OncosigInputError(
            "the estimator has no gene grid (`.grid`); Gene-CAM needs a fitted GeneXNet model"
        )
    return [str(g) for g in grid.genes], np.asarray(grid.pixel_genes())


def _class_targets(estimator: Any, target: Any, n: int) -> Any:
    """Map class names to indices through ``estimator.classes_``."""
    if target is None:
        return None
    classes = [str(c) for c in getattr(estimator, "classes_", [])]
    values = np.atleast_1d(np.asarray(target, dtype=object))
    out = []
    for v in values:
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            out.append(int(v))
        elif str(v) in classes:
            out.append(classes.index(str(v)))
        else:
            raise OncosigInputError(f"unknown class {v!r}; the model's classes are {classes}")
    return out[0] if len(out) == 1 and np.ndim(target) == 0 else np.asarray(out)


def gene_scores(
    estimator: Any,
    adata: Any,
    *,
    target: Any = None,
    method: Method = "gradcam",
    batch_size: int = 64,
    **kwargs: Any,
) -> pd.DataFrame:
    """Per-sample gene scores of a GeneXNet estimator (Gene-CAM by default).

    Parameters
    ----------
    estimator
        A fitted :class:`oncosig.genexnet.GeneXNet` (``.network``, ``.grid``,
        ``.classes_``, ``.prepare``), or a :class:`oncosig.genexnet.GeneXNetEnsemble`: then
        every member explains the ensemble's predicted class and the scores are the mean of
        the members' scores, each sample scaled to a maximum of 1 per member
        (:func:`normalize_scores`), over the union of the members' genes.
    adata
        Samples x genes AnnData (aligned, scaled and gridded by ``estimator.prepare``).
    target
        ``None`` (each sample's predicted class), a class name/index, or one per sample.
    method
        ``"gradcam"`` (Gene-CAM), or, for comparison, ``"integrated_gradients"`` or
        ``"saliency"`` (captum).
    batch_size
        Samples per pass.
    **kwargs
        Passed to the attribution (e.g. ``n_steps`` for integrated gradients, ``layer`` for
        Grad-CAM: a module, or the name of a network submodule such as ``"embedding"``).

    Returns
    -------
    DataFrame samples x genes (the model's genes, grid order); ``attrs["targets"]`` holds the
    class index each row explains.
    """
    members = getattr(estimator, "models", None)
    if isinstance(members, list):
        return _ensemble_scores(
            estimator, adata, target=target, method=method, batch_size=batch_size, **kwargs
        )
    if isinstance(kwargs.get("layer"), str):
        kwargs["layer"] = _named_layer(estimator, kwargs["layer"])
    genes, pixel_genes = _grid_layout(estimator)
    x = estimator.prepare(adata)
    tgt = _class_targets(estimator, target, len(x))
    if tgt is None:
        net = estimator.network
        dev = next(net.parameters()).device
        with eval_mode(net), torch.no_grad():
            logits = torch.cat(
                [net(x[i : i + batch_size].to(dev)).cpu() for i in range(0, len(x), batch_size)]
            )
        tgt = (
            (logits[:, 0] > 0).long().numpy() if logits.shape[1] == 1 else logits.argmax(1).numpy()
        )
    if method == "gradcam":
        maps = gene_cam(estimator.network, x, target=tgt, batch_size=batch_size, **kwargs)
    else:
        from oncosig.interpret._compare import attribution_maps

        maps = attribution_maps(
            estimator.network, x, method=method, target=tgt, batch_size=batch_size, **kwargs
        )
    values = pixels_to_genes(maps, pixel_genes, len(genes))
    index = getattr(adata, "obs_names", None)
    df = pd.DataFrame(values, index=pd.Index(index) if index is not None else None, columns=genes)
    df.attrs["targets"] = np.broadcast_to(np.asarray(tgt), (len(df),)).tolist()
    df.attrs["method"] = method
    return df


def _named_layer(estimator: Any, name: str) -> Any:
    """The submodule ``name`` of the estimator's network (e.g. ``"embedding"``)."""
    layer = getattr(getattr(estimator, "network", None), name, None)
    if not isinstance(layer, torch.nn.Module) or isinstance(layer, torch.nn.Identity):
        raise OncosigInputError(
            f"the network has no layer '{name}'; name a submodule such as 'embedding' "
            "(networks with a gene embedding) or pass the module itself"
        )
    return layer


def normalize_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Each sample's scores divided by its largest absolute score (all-zero rows stay 0)."""
    values = scores.to_numpy(dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN row: left as NaN
        peak = np.nanmax(np.abs(values), axis=1, keepdims=True)
    peak = np.where(np.isfinite(peak) & (peak > 0), peak, 1.0)
    out = pd.DataFrame(values / peak, index=scores.index, columns=scores.columns)
    out.attrs.update(scores.attrs)
    return out


def _ensemble_scores(
    ensemble: Any,
    adata: Any,
    *,
    target: Any,
    method: Method,
    batch_size: int,
    **kwargs: Any,
) -> pd.DataFrame:
    """Gene scores of a seed ensemble: the mean of its members' normalised scores.

    Every member explains the same class per sample (the ensemble's prediction, or
    ``target``); each member's per-sample scores are scaled to a maximum of 1 so that every
    member weighs the same, then averaged gene by gene (a gene a member lacks is skipped).
    """
    if isinstance(kwargs.get("layer"), torch.nn.Module):
        raise OncosigInputError(
            "an ensemble's members have their own layers; name the layer (e.g. "
            "layer='embedding') instead of passing a module"
        )
    classes = np.asarray([str(c) for c in ensemble.classes_], dtype=object)
    n = int(getattr(adata, "n_obs", len(adata)))
    if target is None:
        idx = np.asarray(ensemble.predict_proba(adata)).argmax(axis=1)
    else:
        idx = np.broadcast_to(np.asarray(_class_targets(ensemble, target, n)), (n,))
    names = classes[idx]
    frames = [
        normalize_scores(
            gene_scores(m, adata, target=names, method=method, batch_size=batch_size, **kwargs)
        )
        for m in ensemble.models
    ]
    df = _mean_frames(frames)
    df.attrs["targets"] = [int(i) for i in idx]
    df.attrs["method"] = method
    df.attrs["members"] = len(frames)
    return df


def _mean_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Gene-by-gene mean of samples x genes frames over the union of their genes.

    A gene missing from some frames is averaged over the others (NaN where none has it).
    """
    genes = list(dict.fromkeys(g for f in frames for g in f.columns))
    stack = np.stack([f.reindex(columns=genes).to_numpy(dtype=float) for f in frames])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a gene no frame has: NaN
        mean = np.nanmean(stack, axis=0)
    return pd.DataFrame(mean, index=frames[0].index, columns=genes)


def gene_inputs(estimator: Any, adata: Any) -> pd.DataFrame:
    """The input the network sees at each gene: samples x genes, in the model's scale.

    For a GeneXNet model this is each sample's log-CPM (or rank score) standardized with
    the per-gene mean and standard deviation of the model's training samples, so a value
    above 0 means the sample expresses the gene more than the training samples do on
    average.  Read beside Gene-CAM scores, it tells whether a gene counts for a class by
    being high or low in it.

    Parameters
    ----------
    estimator
        A fitted GeneXNet model (``.prepare``, ``.grid``), or a
        :class:`~oncosig.genexnet.GeneXNetEnsemble` (then the mean over its members, each
        in its own scale, over the union of their genes).
    adata
        Samples x genes AnnData (aligned, scaled and gridded by ``estimator.prepare``).

    Returns
    -------
    DataFrame samples x genes (the model's genes, grid order).
    """
    members = getattr(estimator, "models", None)
    if isinstance(members, list):
        return _mean_frames([gene_inputs(m, adata) for m in members])
    genes, pixel_genes = _grid_layout(estimator)
    x = estimator.prepare(adata)
    x = x.numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    values = pixels_to_genes(x[:, 0], pixel_genes, len(genes))
    index = getattr(adata, "obs_names", None)
    return pd.DataFrame(values, index=pd.Index(index) if index is not None else None, columns=genes)


def rank_genes(
    scores: pd.DataFrame,
    labels: Sequence[Any] | pd.Series | np.ndarray,
    *,
    predictions: Sequence[Any] | pd.Series | np.ndarray | None = None,
    n_top: int = 20,
    n_report: int | None = None,
) -> pd.DataFrame:
    """Per-class gene rankings from per-sample gene scores.

    For each class, the correctly classified samples of that class are used (all its
    samples when ``predictions`` is None); a gene's ``share`` is the fraction of them whose
    top ``n_top`` genes contain it.  Genes are ranked by share, then by mean score.

    Parameters
    ----------
    scores
        Samples x genes (from :func:`gene_scores` with the default target, i.e. each sample
        explained for its predicted class).
    labels
        True class per sample (same order as ``scores``).
    predictions
        Predicted class per sample.
    n_top
        Per-sample top-N used for the share.
    n_report
        Genes reported per class (default ``n_top``).

    Returns
    -------
    DataFrame with columns ``class, rank, gene, share, mean_score, n_samples``.
    """
    labels_arr = np.asarray(labels, dtype=object)
    if len(labels_arr) != len(scores):
        raise OncosigInputError(f"{len(labels_arr)} labels for {len(scores)} samples")
    correct = np.ones(len(scores), dtype=bool)
    if predictions is not None:
        pred = np.asarray(predictions, dtype=object)
        if len(pred) != len(scores):
            raise OncosigInputError(f"{len(pred)} predictions for {len(scores)} samples")
        correct = pred.astype(str) == labels_arr.astype(str)
    n_top = int(min(n_top, scores.shape[1]))
    n_report = n_top if n_report is None else int(min(n_report, scores.shape[1]))
    values = np.nan_to_num(scores.to_numpy(dtype=float), nan=-np.inf)
    genes = np.asarray(scores.columns, dtype=object)
    rows = []
    for cls in sorted(set(labels_arr.astype(str))):
        sel = np.flatnonzero((labels_arr.astype(str) == cls) & correct)
        if sel.size == 0:
            continue
        block = values[sel]
        top = np.argpartition(-block, n_top - 1, axis=1)[:, :n_top]
        counts = np.bincount(top.ravel(), minlength=len(genes))
        share = counts / sel.size
        finite = np.where(np.isfinite(block), block, np.nan)
        mean = np.nanmean(finite, axis=0) if sel.size else np.zeros(len(genes))
        mean = np.nan_to_num(mean, nan=-np.inf)
        order = np.lexsort((genes.astype(str), -mean, -share))[:n_report]
        for r, g in enumerate(order, 1):
            rows.append((cls, r, genes[g], float(share[g]), float(mean[g]), int(sel.size)))
    return pd.DataFrame(rows, columns=["class", "rank", "gene", "share", "mean_score", "n_samples"])


def common_genes(ranking: pd.DataFrame, *, min_classes: int = 2) -> pd.DataFrame:
    """Genes that appear in the rankings of at least ``min_classes`` classes.

    Parameters
    ----------
    ranking
        Output of :func:`rank_genes`.
    min_classes
        Minimum number of classes naming the gene.

    Returns
    -------
    DataFrame with columns ``gene, n_classes, classes`` (``;``-joined), most shared first.
    """
    if ranking.empty:
        return pd.DataFrame(columns=["gene", "n_classes", "classes"])
    grouped = ranking.groupby("gene")["class"].agg(lambda s: sorted(set(map(str, s))))
    out = pd.DataFrame(
        {
            "gene": grouped.index.astype(str),
            "n_classes": grouped.map(len).to_numpy(),
            "classes": grouped.map(";".join).to_numpy(),
        }
    )
    out = out[out["n_classes"] >= min_classes]
    return out.sort_values(["n_classes", "gene"], ascending=[False, True]).reset_index(drop=True)
