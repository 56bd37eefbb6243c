"""GC-content normalisation as TCGAbiolinks ``TCGAanalyze_Normalization(method="gcContent")``.

What R does (TCGAbiolinks 2.25 with EDASeq), reproduced here step by step:

1. keep the genes present in ``geneInfoHT`` (in the table's order), ``floor`` the counts;
2. ``withinLaneNormalization(which="upper", offset=TRUE)``: genes are cut into 10 GC bins
   at the GC deciles (``cut(gc, quantile(gc, 0:10/10))``, lowest gene in bin 1); in each
   sample every bin is rescaled so its upper quartile of ``log(count)`` equals the
   sample's overall upper quartile; the offset is ``log(norm + 0.1) - log(count + 0.1)``;
3. ``betweenLaneNormalization(which="upper", offset=TRUE)`` on the rounded within-lane
   counts: each sample divided by its upper quartile / mean upper quartile, offsets added;
4. ``floor(exp(log(count + 0.1) + offset) - 0.1)``, then TCGAbiolinks'
   ``.quantileNormalization`` across samples (each rank gets the mean of that rank, ties
   broken by gene order) and ``floor``.

The fit/transform version learns, on training samples, the mean upper quartile of step 3
and the reference distribution of step 4; held-out samples are normalised against them
(within-lane normalisation is per sample).  On the training samples the result equals R's
(verified: identical values on TCGA-CHOL and TCGA-KICH).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER
from oncosig._errors import OncosigInputError
from oncosig.pp._base import Preprocessor, State, as_array, get_matrix
from oncosig.pp._rstats import r_quantile

logger = logging.getLogger(__name__)


def default_gc_content() -> pd.Series:
    """GC content per unversioned Ensembl ID from the shipped gene table.

    Uses ``oncosig.genes.gene_table()`` (column ``gc_content``), in the table's order.

    Raises
    ------
    OncosigInputError
        When the shipped table is unavailable or has no GC column; pass ``gc=`` then.
    """
    try:
        from oncosig.genes import gene_table  # type: ignore[attr-defined]
    except ImportError as exc:
        raise OncosigInputError(
            "no shipped gene table with GC content in this installation; pass gc= "
            "(a pandas Series of GC fraction indexed by Ensembl ID)"
        ) from exc
    table = gene_table()
    if "gc_content" not in table.columns:
        raise OncosigInputError("the gene table has no 'gc_content' column; pass gc= explicitly")
    for col in ("ensembl_id", "gene_id", "ensembl_gene_id"):
        if col in table.columns and not table.index.astype(str).str.startswith("ENSG").any():
            table = table.set_index(col)
            break
    gc = pd.to_numeric(table["gc_content"], errors="coerce")
    gc.index = gc.index.astype(str)
    return gc


def gc_bins(gc: np.ndarray, num_bins: int = 10) -> np.ndarray:
    """EDASeq's GC bins (0-based): ``cut(gc, breaks=quantile(gc, seq(0, 1, length=n+1)))``.

    Intervals are right-closed; the gene(s) at the minimum fall into the first bin.

    Raises
    ------
    OncosigInputError
        If the quantile breaks are not unique (R's ``cut`` fails the same way).
    """
    probs = np.arange(num_bins + 1) * (1.0 / num_bins)
    probs[-1] = 1.0
    breaks = np.array([r_quantile(gc, float(p)) for p in probs])
    if np.any(np.diff(breaks) <= 0):
        raise OncosigInputError(
            f"GC-content quantiles are not unique for {num_bins} bins; too few genes with "
            "distinct GC values"
        )
    bins = np.searchsorted(breaks, gc, side="left") - 1
    return np.clip(bins, 0, num_bins - 1)


def within_lane_upper(raw: np.ndarray, bins: np.ndarray, num_bins: int) -> np.ndarray:
    """EDASeq ``.gcQuant(which="upper")`` on a samples x genes matrix (unrounded)."""
    with np.errstate(divide="ignore"):
        ly = np.log(raw)
    q_all = r_quantile(ly, 0.75, axis=1)[:, None]
    out = np.empty_like(raw)
    for b in range(num_bins):
        m = bins == b
        qb = r_quantile(ly[:, m], 0.75, axis=1)[:, None]
        with np.errstate(invalid="ignore"):
            out[:, m] = np.exp(ly[:, m] - qb + q_all)
    return out


def _offsets(raw: np.ndarray, bins: np.ndarray, num_bins: int, mean_uq: float | None) -> Any:
    within = within_lane_upper(raw, bins, num_bins)
    with np.errstate(invalid="ignore"):
        off1 = np.log(within + 0.1) - np.log(raw + 0.1)
    counts1 = np.round(within)
    uq = r_quantile(counts1, 0.75, axis=1)
    if mean_uq is None:
        mean_uq = float(np.mean(uq))
    scaled = counts1 / (uq / mean_uq)[:, None]
    with np.errstate(invalid="ignore"):
        off = off1 + np.log(scaled + 0.1) - np.log(counts1 + 0.1)
        norm = np.floor(np.exp(np.log(raw + 0.1) + off) - 0.1)
    return norm, mean_uq


def quantile_normalize(x: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """TCGAbiolinks ``.quantileNormalization`` on samples x genes (rows are samples).

    Each sample's j-th smallest value (stable order: ties by gene position) is replaced by
    ``reference[j]`` (sorted), by default the mean over samples of their j-th smallest.
    """
    order = np.argsort(x, axis=1, kind="stable")
    if reference is None:
        reference = np.take_along_axis(x, order, axis=1).mean(axis=0)
    out = np.empty_like(x)
    np.put_along_axis(out, order, np.broadcast_to(np.sort(reference), x.shape), axis=1)
    return out


class GCNormalizer(Preprocessor):
    """TCGAbiolinks/EDASeq GC-content normalisation as a fit/transform step.

    Genes without a GC value are dropped (as TCGAbiolinks does); with ``copy=False`` the
    AnnData is subset in place.  Output: normalised integer-valued counts.

    Parameters
    ----------
    gc
        GC fraction per Ensembl ID; default the shipped gene table
        (:func:`default_gc_content`).  Its order breaks ties in the final quantile
        normalisation, as the order of ``geneInfoHT`` does in R.
    num_bins
        Number of GC bins (EDASeq default 10).
    """

    name = "gc"
    config_keys = ("num_bins",)

    def __init__(
        self,
        *,
        gc: pd.Series | None = None,
        num_bins: int = 10,
        layer: str | None = COUNTS_LAYER,
        out_layer: str | None = None,
    ) -> None:
        super().__init__(layer=layer, out_layer=out_layer)
        self.gc = gc
        self.num_bins = int(num_bins)
        self.tie_order_: np.ndarray | None = None
        self.bins_: np.ndarray | None = None
        self.mean_uq_: float = 1.0
        self.reference_: np.ndarray | None = None

    def _gene_subset(self, adata: AnnData) -> tuple[np.ndarray, np.ndarray]:
        gc = self.gc if self.gc is not None else default_gc_content()
        gc = gc[~gc.index.duplicated(keep="first")].dropna()
        names = pd.Index([str(g) for g in adata.var_names])
        pos_in_table = pd.Series(np.arange(len(gc)), index=gc.index.astype(str))
        has = names.isin(pos_in_table.index)
        if not has.any():
            raise OncosigInputError(
                "no gene has a GC value; var_names must be unversioned Ensembl IDs "
                "(run oncosig.genes harmonisation) or pass a matching gc= table"
            )
        if (~has).any():
            logger.info("GC normalisation drops %d gene(s) without GC content", int((~has).sum()))
        idx = np.flatnonzero(has)
        table_pos = pos_in_table.loc[names[idx]].to_numpy()
        gc_values = gc.to_numpy(dtype=np.float64)[table_pos]
        return idx[np.argsort(table_pos, kind="stable")], gc_values[np.argsort(table_pos)]

    def fit(self, adata: AnnData) -> GCNormalizer:
        """Fit on training samples (GC bins, mean upper quartile, reference distribution)."""
        idx, gc_sorted = self._gene_subset(adata)
        raw = np.floor(get_matrix(adata, self.layer, allow_nan=False)[:, idx])
        if np.min(raw, initial=0.0) < 0:
            raise OncosigInputError("GC normalisation needs raw counts, got negative values")
        self.bins_ = gc_bins(gc_sorted, self.num_bins)
        norm, self.mean_uq_ = _offsets(raw, self.bins_, self.num_bins, None)
        order = np.argsort(norm, axis=1, kind="stable")
        self.reference_ = np.take_along_axis(norm, order, axis=1).mean(axis=0)
        names = np.asarray([str(g) for g in adata.var_names])
        self.genes_ = [str(g) for g in names[idx]]  # in GC-table (tie-breaking) order
        return self

    def _positions(self, adata: AnnData) -> np.ndarray:
        if self.genes_ is None:
            raise OncosigInputError("gc is not fitted; call fit() on training data first")
        pos = pd.Series(np.arange(adata.n_vars), index=[str(g) for g in adata.var_names])
        missing = [g for g in self.genes_ if g not in pos.index]
        if missing:
            raise OncosigInputError(
                f"{len(missing)} fitted gene(s) are absent, e.g. {missing[:3]}; align the genes "
                "first with oncosig.genes.align_genes"
            )
        return pos.loc[self.genes_].to_numpy()

    def transform_array(self, adata: AnnData) -> np.ndarray:
        """Normalised matrix in the fitted gene order (``genes_``)."""
        assert self.bins_ is not None and self.reference_ is not None
        pos = self._positions(adata)
        raw = np.floor(get_matrix(adata, self.layer, allow_nan=False)[:, pos])
        norm, _ = _offsets(raw, self.bins_, self.num_bins, self.mean_uq_)
        return np.floor(quantile_normalize(norm, self.reference_))

    def transform(self, adata: AnnData, *, copy: bool = False) -> AnnData | None:
        """Normalise; genes without GC content are dropped (in place unless ``copy``)."""
        out = self.transform_array(adata)
        pos = self._positions(adata)
        by_position = np.argsort(pos)
        keep = pos[by_position]  # kept genes in the AnnData's own order
        values = out[:, by_position]
        if copy:
            target = adata[:, keep].copy()
        else:
            target = adata
            if len(keep) != adata.n_vars:
                adata._inplace_subset_var(keep)
        self._write(target, values)
        return target if copy else None

    def fit_transform(self, adata: AnnData, *, copy: bool = False) -> AnnData | None:
        """:meth:`fit` then :meth:`transform`."""
        return self.fit(adata).transform(adata, copy=copy)

    def _state(self) -> State:
        assert self.bins_ is not None and self.reference_ is not None
        return {
            "bins": self.bins_.astype(np.int64),
            "mean_uq": self.mean_uq_,
            "reference": self.reference_,
        }

    def _load_state(self, state: State) -> None:
        self.bins_ = np.asarray(state["bins"]).astype(np.int64)
        self.mean_uq_ = float(state["mean_uq"])  # type: ignore[arg-type]
        self.reference_ = as_array(state["reference"])
