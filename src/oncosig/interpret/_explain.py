"""Gene-CAM of a fitted model written to a folder: the work of ``oncosig explain``.

Top-gene tables, genes shared by classes, the paper's heatmap per class and the
enrichment of each class's top genes, from a fitted GeneXNet (or any gene-image
classifier with a ``cam_layer``) and an AnnData.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from anndata import AnnData

logger = logging.getLogger(__name__)


def explain_to_dir(
    model: Any,
    adata: AnnData,
    *,
    out: str | Path,
    truth: pd.Series | None = None,
    top: int = 20,
    heatmap_samples: int = 20,
    seed: int = 0,
    library: str = "go-bp",
    overwrite: bool = False,
) -> dict[str, Any]:
    """Write Gene-CAM rankings, heatmaps and enrichment of ``adata`` under ``out``.

    Parameters
    ----------
    model
        A fitted :class:`~oncosig.genexnet.GeneImageClassifier`.
    adata
        Samples to explain (genes are aligned to the model's genes).
    out
        Output folder: ``top_genes.csv``, ``common_genes.csv``, ``heatmap_<class>.png``
        and ``enrichment.tsv`` (unless ``library="none"``).  ``top_genes.csv`` has the
        columns of :func:`~oncosig.interpret.rank_genes` plus ``symbol``, ``mean_input``
        (the gene's mean standardized model input in the class's samples) and
        ``direction`` (``higher``/``lower`` than the model's training samples; arrows in
        the heatmaps): Gene-CAM names genes that count for a class whether the class
        expresses them more or less than other samples.
    truth
        True class per sample; rankings then use correctly classified samples only.
        Default: the predicted classes.
    top
        Top-N genes per sample and per class.
    heatmap_samples
        Random samples of a class shown in its heatmap.
    seed
        Seed of the heatmap sample draw.
    library
        Gene-set library of the per-class ORA (background: the model's genes), or "none".
    overwrite
        Replace existing outputs.

    Returns
    -------
    dict
        ``n_samples``, ``n_genes``, ``accuracy`` (None without ``truth``), ``classes``,
        ``n_shared_genes``.
    """
    import numpy as np

    from oncosig import pl
    from oncosig._atomic import write_table
    from oncosig.interpret._genes import common_genes, gene_inputs, gene_scores, rank_genes

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pred = np.asarray(model.predict(adata), dtype=object).astype(str)
    y = pred if truth is None else np.asarray(truth).astype(str)
    scores = gene_scores(model, adata, target=pred)  # the predicted classes, no second pass
    ranking = rank_genes(scores, y, predictions=pred, n_top=top)
    symbols = _symbols(adata, sorted(set(ranking["gene"])))
    ranking.insert(3, "symbol", ranking["gene"].map(symbols).fillna(""))
    ranking = _with_direction(ranking, gene_inputs(model, adata), y, pred)
    write_table(ranking, out / "top_genes.csv", overwrite=overwrite, index=False)
    shared = common_genes(ranking, min_classes=2)
    shared.insert(1, "symbol", shared["gene"].map(symbols).fillna(""))
    write_table(shared, out / "common_genes.csv", overwrite=overwrite, index=False)
    expr = _log_cpm(adata, sorted(set(ranking["gene"])))
    for cls, grp in ranking.groupby("class", sort=True):
        sel = (y == cls) & (pred == cls)
        genes = grp.sort_values("rank")["gene"].tolist()[:20]
        arrows = {"higher": " \u2191", "lower": " \u2193"}
        labels = {
            g: f"{symbols.get(g, g)}{arrows.get(d, '')}"
            for g, d in zip(grp["gene"], grp["direction"], strict=True)
        }
        ax = pl.genecam_heatmap(
            expr.loc[sel, genes],
            genes,
            shares=dict(zip(grp["gene"], grp["share"], strict=True)),
            symbols=labels,
            n_samples=heatmap_samples,
            seed=seed,
            title=f"{cls}: Gene-CAM top {len(genes)} genes (\u2191/\u2193: above/below the training mean)",
            colorbar_label="log2(CPM + 1)",
        )
        pl.savefig(ax, out / f"heatmap_{_safe(str(cls))}.png", overwrite=overwrite)
    if library.lower() != "none":
        enr = _class_enrichment(ranking, list(scores.columns), library)
        write_table(enr, out / "enrichment.tsv", overwrite=overwrite, index=False)
    return {
        "n_samples": int(adata.n_obs),
        "n_genes": len(scores.columns),
        "accuracy": float((pred == y).mean()) if truth is not None else None,
        "classes": sorted(str(c) for c in set(ranking["class"])),
        "n_shared_genes": len(shared),
    }


def _with_direction(
    ranking: pd.DataFrame, inputs: pd.DataFrame, y: np.ndarray, pred: np.ndarray
) -> pd.DataFrame:
    """Add ``mean_input`` and ``direction`` to a Gene-CAM ranking.

    ``mean_input``: the gene's mean model input (standardized with the training samples'
    statistics, :func:`~oncosig.interpret.gene_inputs`) over the samples the class's
    ranking used; ``direction``: ``"higher"`` or ``"lower"`` than the training samples'
    average (Gene-CAM scores are positive either way).
    """
    import numpy as np

    mean = np.full(len(ranking), np.nan)
    for cls, grp in ranking.groupby("class", sort=False):
        sel = (y == cls) & (pred == cls)
        cols = grp["gene"].astype(str).tolist()
        mean[ranking.index.get_indexer(grp.index)] = inputs.loc[sel, cols].mean(axis=0)
    out = ranking.copy()
    at = out.columns.get_loc("mean_score") + 1
    out.insert(at, "mean_input", mean)
    direction = np.where(mean > 0, "higher", np.where(mean < 0, "lower", ""))
    out.insert(at + 1, "direction", direction)
    return out


def _log_cpm(adata: AnnData, genes: list[str]) -> pd.DataFrame:
    """log2(CPM + 1) of ``genes`` (NaN where the data lack a gene)."""
    import numpy as np
    import pandas as pd
    import scipy.sparse as sp

    from oncosig._constants import COUNTS_LAYER

    m = adata.layers[COUNTS_LAYER] if COUNTS_LAYER in adata.layers else adata.X
    lib = np.asarray(m.sum(axis=1)).ravel().astype(float)
    present = [g for g in genes if g in adata.var_names]
    cols = adata.var_names.get_indexer(present)
    sub = m[:, cols]
    sub = sub.toarray() if sp.issparse(sub) else np.asarray(sub, dtype=float)
    vals = np.log2(sub / np.maximum(lib, 1)[:, None] * 1e6 + 1)
    df = pd.DataFrame(vals, index=adata.obs_names, columns=present)
    return df.reindex(columns=genes)


def _symbols(adata: AnnData, genes: list[str]) -> dict[str, str]:
    from oncosig._constants import VAR_SYMBOL
    from oncosig._errors import OncosigInputError
    from oncosig.enrich import to_symbols

    out: dict[str, str] = {}
    if VAR_SYMBOL in adata.var:
        col = adata.var[VAR_SYMBOL]
        out.update({g: str(col[g]) for g in genes if g in col.index and isinstance(col[g], str)})
    for g in genes:
        if g not in out:
            try:
                sym = to_symbols([g])
            except OncosigInputError:
                break
            if sym:
                out[g] = sym[0]
    return out


def _class_enrichment(ranking: pd.DataFrame, background: list[str], library: str) -> pd.DataFrame:
    """ORA of every class's ranked genes; a class whose genes match no term gets no row."""
    import pandas as pd

    from oncosig._errors import OncosigInputError
    from oncosig.enrich import ora

    frames = []
    for cls, grp in ranking.groupby("class", sort=True):
        try:
            res = ora(grp["gene"].astype(str).tolist(), library=library, background=background)
        except OncosigInputError as exc:
            logger.warning("enrichment of %s skipped: %s", cls, exc)
            continue
        frames.append(res.assign(**{"class": cls})[["class", *res.columns]])
    cols = ["class", "term", "overlap", "set_size", "pvalue", "fdr", "genes"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "class"
