"""DESeq2's Wald test through the pydeseq2 library (not a re-implementation).

Settings follow R's ``DESeq(dds)`` + ``results(dds, contrast=...)`` defaults as far
as pydeseq2 allows: parametric dispersion trend, Cook's-distance outlier replacement
and refit for groups of >= 7 samples (``minReplicatesForReplace=7``), Cook's
filtering, independent filtering at ``alpha=0.1`` (R's default; pydeseq2's default is
0.05), BH adjustment.  Remaining differences from R's DESeq2 1.38:

- pydeseq2 fits dispersions and coefficients with its own optimisers (L-BFGS-B /
  IRLS with different tolerances), so values agree to a few 1e-4 relative, not to
  the last digit;
- R's independent filtering fits a lowess curve to the number of rejections over the
  filter quantiles (``genefilter``); pydeseq2 uses its own port of that step, so a
  handful of genes near the chosen threshold can receive NA vs a value;
- no ``betaPrior`` / LFC shrinkage (R's default ``DESeq`` has none either since 1.16).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

DESEQ2_COLUMNS = ["baseMean", "log2FoldChange", "lfcSE", "stat", "pvalue", "padj"]


def deseq2_wald(
    counts: np.ndarray,
    group: np.ndarray,
    *,
    genes: pd.Index,
    samples: pd.Index,
    alpha: float = 0.1,
    n_cpus: int | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """DESeq2 Wald test of level 1 vs level 0 via pydeseq2.

    Parameters
    ----------
    counts
        Integer counts, samples x genes.
    group
        0 (reference) / 1 per sample.
    genes, samples
        Labels for the result and for pydeseq2's frames.
    alpha
        Independent-filtering target FDR (R's ``results(alpha=0.1)`` default).
    n_cpus
        Processes for pydeseq2 (default 1: its worker processes would run
        multi-threaded BLAS, which makes its many tiny fits much slower).

    Returns
    -------
    The results table (R's column names) and the size factors.
    """
    from pydeseq2.dds import DeseqDataSet
    from pydeseq2.default_inference import DefaultInference
    from pydeseq2.ds import DeseqStats
    from threadpoolctl import threadpool_limits

    cpus = n_cpus or 1
    inference = DefaultInference(n_cpus=cpus)
    gene_names = [f"g{i}" for i in range(counts.shape[1])]  # pydeseq2 wants unique str names
    sample_names = [f"s{i}" for i in range(counts.shape[0])]
    df = pd.DataFrame(np.asarray(counts, dtype=np.int64), index=sample_names, columns=gene_names)
    meta = pd.DataFrame(
        {"condition": np.where(np.asarray(group) == 1, "B", "A")}, index=sample_names
    )
    # pydeseq2 runs thousands of tiny L-BFGS-B fits; multi-threaded BLAS only adds
    # thread hand-offs to each of them (orders of magnitude slower on a busy machine)
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        dds = DeseqDataSet(
            counts=df,
            metadata=meta,
            design="~condition",
            refit_cooks=True,
            min_replicates=7,
            fit_type="parametric",
            inference=inference,
            quiet=True,
        )
        dds.deseq2()
        stat = DeseqStats(
            dds,
            contrast=["condition", "B", "A"],
            alpha=alpha,
            cooks_filter=True,
            independent_filter=True,
            inference=inference,
            quiet=True,
        )
        stat.summary()
    res = stat.results_df.reindex(gene_names)[DESEQ2_COLUMNS].copy()
    res.index = genes
    size_factors = np.asarray(dds.obs["size_factors"], dtype=np.float64)
    logger.debug("pydeseq2 done: %d genes, %d samples (%s)", res.shape[0], len(samples), cpus)
    return res, size_factors
