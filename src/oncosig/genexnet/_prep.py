"""Fitted preprocessing for GeneXNet inputs: gene filter, log-CPM and per-gene z-score.

Everything here is fitted on training samples only and applied unchanged to held-out
samples.  Library sizes are taken over the model's genes; when a cohort lacks some of
them (NaN after :func:`oncosig.genes.align_genes`), the library size is divided by the
share of the training library those observed genes carried on average, so that log-CPM of
the observed genes stays on the training scale.  Missing genes become 0 after the z-score,
i.e. the training mean: they carry no signal.

With ``method="rank"`` the log-CPM is replaced by each sample's rank-based inverse normal
scores over its measured model genes (:func:`oncosig.pp.rank_normal_scores`), which no
library size or composition effect can move; the per-gene z-score is fitted as before.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from oncosig._errors import OncosigInputError
from oncosig.genexnet._grid import GeneGrid
from oncosig.pp import rank_normal_scores

METHODS = ("log-cpm", "rank")


def _check_counts(counts: np.ndarray) -> np.ndarray:
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim != 2:
        raise OncosigInputError(f"expected a samples x genes matrix, got {x.ndim}-D")
    finite = x[np.isfinite(x)]
    if np.isinf(x).any() or (finite < 0).any():
        raise OncosigInputError(
            "counts hold negative or infinite values; GeneXNet needs raw counts (layers['counts'])"
        )
    return x


def log_cpm(counts: np.ndarray, lib_size: np.ndarray, prior_count: float = 1.0) -> np.ndarray:
    """``log2((count + prior) / (lib + 2 prior) * 1e6)``, the edgeR-style log-CPM."""
    lib = np.asarray(lib_size, dtype=np.float64)[:, None]
    return np.log2((counts + prior_count) / (lib + 2.0 * prior_count) * 1e6)


def select_genes(
    counts: np.ndarray, *, min_detected: float = 0.1, max_genes: int | None = None
) -> np.ndarray:
    """Indices of genes detected (count > 0) in more than ``min_detected`` of the samples.

    With ``max_genes``, keep the ``max_genes`` most variable of them (log-CPM variance).
    Fit this on training samples only.
    """
    x = _check_counts(counts)
    keep = detected_genes(np.nanmean(np.nan_to_num(x, nan=0.0) > 0, axis=0), min_detected)
    if max_genes is not None and keep.size > max_genes:
        sub = np.nan_to_num(x[:, keep], nan=0.0)
        keep = most_variable(keep, np.var(log_cpm(sub, sub.sum(axis=1)), axis=0), max_genes)
    return keep


def detected_genes(rate: np.ndarray, min_detected: float) -> np.ndarray:
    """Indices of the genes whose detection ``rate`` exceeds ``min_detected`` (none: error)."""
    keep = np.flatnonzero(rate > min_detected)
    if keep.size == 0:
        raise OncosigInputError(
            f"no gene is detected in more than {min_detected:.0%} of the training samples; "
            "lower min_detected or check that the values are counts"
        )
    return keep


def most_variable(keep: np.ndarray, var: np.ndarray, max_genes: int) -> np.ndarray:
    """The ``max_genes`` entries of ``keep`` with the largest ``var``, in their given order."""
    return keep[np.sort(np.argsort(-var, kind="stable")[:max_genes])]


def check_method(method: str, *, name: str = "normalization") -> str:
    """Validate a GeneXNet input normalisation (``"log-cpm"`` or ``"rank"``).

    ``name`` is the argument's name in the caller's signature, used in the error message.
    """
    if method not in METHODS:
        raise ValueError(f"{name} must be one of {list(METHODS)}, got {method!r}")
    return method


class LogCPMScaler:
    """log-CPM (or rank scores) then a per-gene z-score; missing genes become the training mean.

    Parameters
    ----------
    prior_count
        Pseudo-count of the log-CPM.
    method
        ``"log-cpm"`` (default): edgeR-style log-CPM over the model's genes.  ``"rank"``:
        each sample's rank-based inverse normal scores over its measured model genes
        (:func:`oncosig.pp.rank_normal_scores`), insensitive to library size and to a few
        genes taking most of a sample's counts.

    Attributes
    ----------
    share_
        Mean share of the library carried by each gene in the training samples.
    mean_, scale_
        Per-gene mean and standard deviation of the training log-CPM.
    """

    def __init__(self, *, prior_count: float = 1.0, method: str = "log-cpm") -> None:
        if prior_count <= 0:
            raise ValueError(f"prior_count must be positive, got {prior_count}")
        self.prior_count = float(prior_count)
        self.method = check_method(method)
        self.share_: np.ndarray | None = None
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def _lib_size(self, x: np.ndarray) -> np.ndarray:
        assert self.share_ is not None
        observed = ~np.isnan(x)
        lib = np.nansum(x, axis=1)
        cover = observed.astype(np.float64) @ self.share_
        cover = np.where(cover > 0, cover, 1.0)
        lib = lib / cover
        if (lib <= 0).any():
            raise OncosigInputError(
                "a sample has no counts on the model's genes; remove empty samples"
            )
        return lib

    def _expression(self, x: np.ndarray) -> np.ndarray:
        """Per-sample expression values before the z-score (log-CPM or rank scores)."""
        lib = self._lib_size(x)  # also rejects samples without counts, for either method
        if self.method == "log-cpm":
            return log_cpm(x, lib, self.prior_count)
        return rank_normal_scores(x)

    def fit(self, counts: np.ndarray) -> LogCPMScaler:
        """Fit on training counts (samples x model genes; NaN = gene not measured)."""
        x = _check_counts(counts)
        if x.shape[0] < 2:
            raise OncosigInputError("need at least 2 training samples to fit the scaler")
        filled = np.nan_to_num(x, nan=0.0)
        lib = filled.sum(axis=1)
        lib = np.where(lib > 0, lib, 1.0)
        self.share_ = np.nanmean(np.where(np.isnan(x), np.nan, filled / lib[:, None]), axis=0)
        self.share_ = np.nan_to_num(self.share_, nan=0.0)
        if self.share_.sum() > 0:
            self.share_ = self.share_ / self.share_.sum()
        z = self._expression(x)
        with warnings.catch_warnings():  # all-NaN genes: "mean of empty slice"
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(z, axis=0)
            sd = np.nanstd(z, axis=0)
        self.mean_ = np.nan_to_num(mean, nan=0.0)
        sd = np.nan_to_num(sd, nan=0.0)
        self.scale_ = np.where(sd > 1e-8, sd, 1.0)
        return self

    def fit_streaming(
        self,
        data: Any,
        *,
        columns: np.ndarray | None = None,
        rows: np.ndarray | None = None,
        block_rows: int | None = None,
    ) -> LogCPMScaler:
        """Fit in one streaming pass over row blocks (on-disk data never fully loaded).

        Gives the same state as :meth:`fit` on the same counts (to rounding).

        Parameters
        ----------
        data
            Store path, :class:`~oncosig.stream.ExpressionStore`, backed or in-memory
            AnnData (counts from ``layers['counts']`` else ``X``) or a counts matrix.
        columns
            The model's genes as column indices of ``data`` (default all columns).
        rows
            Training samples (default all).
        block_rows
            Rows read per block (bounds memory).
        """
        from oncosig.stream import logcpm_stats

        state = logcpm_stats(
            data,
            columns=columns,
            prior_count=self.prior_count,
            rows=rows,
            block_rows=block_rows,
            method=self.method,
        )
        self.share_, self.mean_, self.scale_ = state["share"], state["mean"], state["scale"]
        return self

    def transform(self, counts: np.ndarray) -> np.ndarray:
        """Scaled log-CPM (float32); genes that are NaN in ``counts`` become 0."""
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("LogCPMScaler is not fitted; call fit() first")
        x = _check_counts(counts)
        if x.shape[1] != self.mean_.shape[0]:
            raise OncosigInputError(
                f"expected {self.mean_.shape[0]} genes, got {x.shape[1]}; align the data "
                "to the model's genes first"
            )
        z = (self._expression(x) - self.mean_) / self.scale_
        return np.nan_to_num(z, nan=0.0).astype(np.float32)

    def fit_transform(self, counts: np.ndarray) -> np.ndarray:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(counts).transform(counts)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Fitted arrays (saved as ``prep.*`` tensors in checkpoints)."""
        if self.mean_ is None or self.scale_ is None or self.share_ is None:
            raise RuntimeError("LogCPMScaler is not fitted")
        return {
            "share": self.share_.astype(np.float64),
            "mean": self.mean_.astype(np.float64),
            "scale": self.scale_.astype(np.float64),
            "prior_count": np.asarray([self.prior_count], dtype=np.float64),
            "rank": np.asarray([float(self.method == "rank")], dtype=np.float64),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, np.ndarray]) -> LogCPMScaler:
        """Rebuild a fitted scaler from :meth:`state_dict` output."""
        try:
            rank = float(np.asarray(state.get("rank", [0.0])).ravel()[0])  # older files: log-CPM
            obj = cls(
                prior_count=float(np.asarray(state["prior_count"]).ravel()[0]),
                method="rank" if rank else "log-cpm",
            )
            obj.share_ = np.asarray(state["share"], dtype=np.float64)
            obj.mean_ = np.asarray(state["mean"], dtype=np.float64)
            obj.scale_ = np.asarray(state["scale"], dtype=np.float64)
        except KeyError as exc:
            raise ValueError(f"scaler state lacks {exc}") from exc
        if not obj.share_.shape == obj.mean_.shape == obj.scale_.shape:
            raise ValueError("scaler state arrays differ in length")
        return obj


class GeneImageTransform:
    """Batch transform for streamed rows: counts -> model genes -> scaled log-CPM -> images.

    Vectorised over the batch (no per-sample loop) and picklable, so DataLoader workers
    and DDP processes can run it.

    Parameters
    ----------
    columns
        For each model gene, its column in the streamed rows; ``-1`` = the data lack the
        gene (it becomes the training mean, i.e. 0 after scaling).
    scaler
        The fitted :class:`LogCPMScaler`.
    grid
        The model's :class:`~oncosig.genexnet.GeneGrid`.
    """

    def __init__(self, columns: np.ndarray, scaler: LogCPMScaler, grid: GeneGrid) -> None:
        self.columns = np.asarray(columns, dtype=np.int64)
        if self.columns.shape != (grid.n_genes,):
            raise ValueError("columns must give one source column per gene of the grid")
        self.missing = np.flatnonzero(self.columns < 0)
        self.scaler = scaler
        self.grid = grid

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        x = np.asarray(rows, dtype=np.float64)[:, np.maximum(self.columns, 0)]
        if self.missing.size:
            x[:, self.missing] = np.nan
        return self.grid.to_image(self.scaler.transform(x))
