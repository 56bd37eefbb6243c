"""Preprocessing statistics in streaming passes over row blocks (float64, Chan's merge).

:func:`logcpm_stats` computes, in **one** pass over the rows, everything the GeneXNet
scaler (:class:`oncosig.genexnet.LogCPMScaler`) learns: each gene's mean share of the
library, and the per-gene mean and standard deviation of log-CPM.  Per-gene moments are
merged block by block with Chan et al.'s parallel update, so the result equals the
in-memory fit to rounding (the tests check 1e-6).  Samples with missing genes (NaN) need
the final shares to correct their library size; only those rows are read a second time.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from oncosig._errors import OncosigInputError
from oncosig.pp import rank_normal_scores
from oncosig.stream._store import RowSource, as_source

logger = logging.getLogger(__name__)


class RunningMoments:
    """Per-column count, mean and sum of squared deviations; NaN entries are skipped.

    Blocks are merged with the parallel update of Chan, Golub & LeVeque (float64), which
    is exact in exact arithmetic and numerically stable.

    Parameters
    ----------
    n_cols
        Number of columns.
    """

    def __init__(self, n_cols: int) -> None:
        self.count = np.zeros(n_cols, dtype=np.float64)
        self.mean = np.zeros(n_cols, dtype=np.float64)
        self.m2 = np.zeros(n_cols, dtype=np.float64)

    def update(self, block: np.ndarray) -> RunningMoments:
        """Merge the rows of ``block`` (rows x n_cols)."""
        x = np.asarray(block, dtype=np.float64)
        if x.shape[0] == 0:
            return self
        observed = ~np.isnan(x)
        nb = observed.sum(axis=0).astype(np.float64)
        filled = np.where(observed, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mb = np.where(nb > 0, filled.sum(axis=0) / np.maximum(nb, 1), 0.0)
        dev = np.where(observed, x - mb, 0.0)
        m2b = np.einsum("ij,ij->j", dev, dev)
        return self._merge(nb, mb, m2b)

    def merge(self, other: RunningMoments) -> RunningMoments:
        """Merge another accumulator (e.g. from another worker)."""
        return self._merge(other.count, other.mean, other.m2)

    def _merge(self, nb: np.ndarray, mb: np.ndarray, m2b: np.ndarray) -> RunningMoments:
        n = self.count + nb
        safe = np.where(n > 0, n, 1.0)
        delta = mb - self.mean
        self.mean = self.mean + delta * (nb / safe)
        self.m2 = self.m2 + m2b + delta * delta * (self.count * nb / safe)
        self.count = n
        return self

    @property
    def var(self) -> np.ndarray:
        """Population variance (ddof 0); NaN where a column had no value."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.count > 0, self.m2 / self.count, np.nan)

    @property
    def std(self) -> np.ndarray:
        """Population standard deviation; NaN where a column had no value."""
        return np.sqrt(self.var)


def _check_block(x: np.ndarray) -> None:
    if np.isinf(x).any() or (x < 0).any():  # NaN compares False
        raise OncosigInputError(
            "counts hold negative or infinite values; GeneXNet needs raw counts (layers['counts'])"
        )


def _columns(x: np.ndarray, columns: np.ndarray | None) -> np.ndarray:
    return x if columns is None else x[:, columns]


def detection_rate(
    data: Any, *, rows: np.ndarray | None = None, block_rows: int | None = None
) -> np.ndarray:
    """Share of samples with a count > 0, per gene, in one streaming pass (NaN = not detected)."""
    source = as_source(data)
    hits = np.zeros(source.n_vars, dtype=np.int64)
    n = 0
    for _, x in source.iter_blocks(block_rows=block_rows, rows=rows):
        _check_block(x)
        hits += (x > 0).sum(axis=0)
        n += x.shape[0]
    if n == 0:
        raise OncosigInputError("no samples to compute statistics on")
    return hits / n


def select_genes_streaming(
    data: Any,
    *,
    min_detected: float = 0.1,
    max_genes: int | None = None,
    rows: np.ndarray | None = None,
    block_rows: int | None = None,
) -> np.ndarray:
    """Streaming twin of :func:`oncosig.genexnet.select_genes` (same result).

    One pass for the detection filter; with ``max_genes``, a second pass for the log-CPM
    variance of the detected genes (library sizes over the detected genes, prior 1).
    """
    from oncosig.genexnet._prep import detected_genes, log_cpm, most_variable

    source = as_source(data)
    keep = detected_genes(detection_rate(source, rows=rows, block_rows=block_rows), min_detected)
    if max_genes is not None and keep.size > max_genes:
        mom = RunningMoments(keep.size)
        for _, x in source.iter_blocks(block_rows=block_rows, rows=rows):
            sub = np.nan_to_num(x[:, keep], nan=0.0)
            mom.update(log_cpm(sub, sub.sum(axis=1)))
        keep = most_variable(keep, mom.var, max_genes)
    return keep


def logcpm_stats(
    data: Any,
    *,
    columns: np.ndarray | None = None,
    prior_count: float = 1.0,
    rows: np.ndarray | None = None,
    block_rows: int | None = None,
    method: str = "log-cpm",
) -> dict[str, np.ndarray]:
    """The state of a fitted :class:`~oncosig.genexnet.LogCPMScaler`, from one streaming pass.

    Parameters
    ----------
    data
        Store path, :class:`~oncosig.stream.ExpressionStore`, backed or in-memory AnnData, or
        a counts matrix (samples x genes; NaN = gene not measured).
    columns
        Genes to use (the model's genes), as column indices; default all.
    prior_count
        log-CPM pseudo-count.
    rows
        Samples to fit on (training rows); default all.
    block_rows
        Rows per block read (bounds memory: ``block_rows x n_genes`` float64).
    method
        ``"log-cpm"`` or ``"rank"`` (per-sample rank-based inverse normal scores, see
        :func:`oncosig.pp.rank_normal_scores`; needs no second pass).

    Returns
    -------
    ``{"share", "mean", "scale", "prior_count", "rank"}``: float64 arrays, the format of
    ``LogCPMScaler.state_dict()`` (load with ``LogCPMScaler.from_state``).
    """
    if prior_count <= 0:
        raise ValueError(f"prior_count must be positive, got {prior_count}")
    from oncosig.genexnet._prep import check_method  # genexnet imports this module

    rank = check_method(method, name="method") == "rank"
    source = as_source(data)
    n_cols = source.n_vars if columns is None else len(columns)
    share_sum = np.zeros(n_cols, dtype=np.float64)
    share_n = np.zeros(n_cols, dtype=np.float64)
    moments = RunningMoments(n_cols)
    deferred: list[np.ndarray] = []
    n_rows = 0
    for idx, block in source.iter_blocks(block_rows=block_rows, rows=rows):
        x = _columns(block, columns)
        _check_block(x)
        n_rows += x.shape[0]
        observed = ~np.isnan(x)
        filled = np.where(observed, x, 0.0)
        lib = filled.sum(axis=1)
        share_sum += np.where(observed, filled / np.where(lib > 0, lib, 1.0)[:, None], 0.0).sum(0)
        share_n += observed.sum(axis=0)
        if (lib <= 0).any():  # (a library corrected by its coverage stays > 0 below)
            raise OncosigInputError(
                "a sample has no counts on the model's genes; remove empty samples"
            )
        if rank:
            moments.update(rank_normal_scores(x))
            continue
        complete = observed.all(axis=1)
        if not complete.all():
            deferred.append(idx[~complete])
        if complete.any():
            xc, libc = x[complete], lib[complete]
            moments.update(np.log2((xc + prior_count) / (libc[:, None] + 2 * prior_count) * 1e6))
    if n_rows < 2:
        raise OncosigInputError("need at least 2 training samples to fit the scaler")
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(share_n > 0, share_sum / np.maximum(share_n, 1), 0.0)
    if share.sum() > 0:
        share = share / share.sum()
    if deferred:
        # library sizes of samples with missing genes are corrected by the training share
        # of the genes they do have, which is only known now: re-read just those rows
        redo = np.concatenate(deferred)
        logger.info("%d samples with missing genes: second pass over them", redo.size)
        for _, block in source.iter_blocks(block_rows=block_rows, rows=redo):
            x = _columns(block, columns)
            observed = ~np.isnan(x)
            cover = observed.astype(np.float64) @ share
            lib = np.nansum(x, axis=1) / np.where(cover > 0, cover, 1.0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                moments.update(np.log2((x + prior_count) / (lib[:, None] + 2 * prior_count) * 1e6))
    mean = np.nan_to_num(np.where(moments.count > 0, moments.mean, np.nan), nan=0.0)
    sd = np.nan_to_num(moments.std, nan=0.0)
    return {
        "share": share,
        "mean": mean,
        "scale": np.where(sd > 1e-8, sd, 1.0),
        "prior_count": np.asarray([prior_count], dtype=np.float64),
        "rank": np.asarray([float(rank)], dtype=np.float64),
    }


def library_sizes(
    data: Any, *, rows: np.ndarray | None = None, block_rows: int | None = None
) -> np.ndarray:
    """Per-sample total counts (NaN ignored), in one streaming pass."""
    source: RowSource = as_source(data)
    out = [np.nansum(x, axis=1) for _, x in source.iter_blocks(block_rows=block_rows, rows=rows)]
    return np.concatenate(out) if out else np.zeros(0)
