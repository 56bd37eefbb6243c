"""Library-size normalisation steps: CPM, TMM, upper quartile, DESeq2 median of ratios.

Each reads raw counts (``layers["counts"]`` by default) and writes normalised values
(``X`` by default).  Genes missing after :func:`oncosig.genes.align_genes` (NaN) are
ignored when computing factors and stay NaN in the output.
"""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER
from oncosig._errors import OncosigInputError
from oncosig.pp._base import Preprocessor, State, as_array
from oncosig.pp._factors import (
    _size_factors_from_log_geo_means,
    quantile_factors,
    tmm_raw_factors,
    tmm_reference_column,
)


def _lib_sizes(x: np.ndarray) -> np.ndarray:
    lib = np.nansum(x, axis=1)
    if np.any(lib <= 0):
        bad = int(np.sum(lib <= 0))
        raise OncosigInputError(
            f"{bad} sample(s) have a library size of 0 (no counts); remove empty samples first"
        )
    return lib


def _check_counts(x: np.ndarray, what: str) -> None:
    if np.nanmin(x, initial=0.0) < 0:
        raise OncosigInputError(f"{what} needs raw counts, but the input has negative values")


class CPM(Preprocessor):
    """Counts per million: ``x / library size * 1e6`` (no learned state)."""

    name = "cpm"

    def __init__(self, *, layer: str | None = COUNTS_LAYER, out_layer: str | None = None) -> None:
        super().__init__(layer=layer, out_layer=out_layer)

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        _check_counts(x, "CPM")
        return x / _lib_sizes(x)[:, None] * 1e6


class TMM(Preprocessor):
    """TMM-normalised CPM (edgeR ``calcNormFactors(method="TMM")`` then ``cpm``).

    :meth:`fit` picks edgeR's reference sample among the training samples and keeps its
    count profile; :meth:`transform` computes each sample's TMM factor against that
    profile, rescaled by the geometric mean of the training factors, so the training
    samples get exactly edgeR's factors and held-out samples are normalised the same way.
    The factors of the last transform are in ``norm_factors_``.

    Parameters
    ----------
    log_ratio_trim, sum_trim, do_weighting, a_cutoff
        edgeR's ``logratioTrim``, ``sumTrim``, ``doWeighting`` and ``Acutoff``.
    """

    name = "tmm"
    config_keys = ("log_ratio_trim", "sum_trim", "do_weighting", "a_cutoff")

    def __init__(
        self,
        *,
        log_ratio_trim: float = 0.3,
        sum_trim: float = 0.05,
        do_weighting: bool = True,
        a_cutoff: float = -1e10,
        layer: str | None = COUNTS_LAYER,
        out_layer: str | None = None,
    ) -> None:
        super().__init__(layer=layer, out_layer=out_layer)
        self.log_ratio_trim = float(log_ratio_trim)
        self.sum_trim = float(sum_trim)
        self.do_weighting = bool(do_weighting)
        self.a_cutoff = float(a_cutoff)
        self.ref_counts_: np.ndarray | None = None
        self.ref_lib_size_: float = 1.0
        self.scale_: float = 1.0
        self.norm_factors_: np.ndarray | None = None

    def _raw(self, x: np.ndarray, lib: np.ndarray) -> np.ndarray:
        assert self.ref_counts_ is not None
        return tmm_raw_factors(
            x,
            self.ref_counts_,
            lib,
            self.ref_lib_size_,
            log_ratio_trim=self.log_ratio_trim,
            sum_trim=self.sum_trim,
            do_weighting=self.do_weighting,
            a_cutoff=self.a_cutoff,
        )

    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        _check_counts(x, "TMM")
        lib = _lib_sizes(x)
        nonzero = (x > 0).any(axis=0)
        ref = tmm_reference_column(x[:, nonzero], lib) if x.shape[0] > 1 else 0
        self.ref_counts_ = x[ref].copy()
        self.ref_lib_size_ = float(lib[ref])
        f = self._raw(x, lib) if x.shape[0] > 1 else np.ones(1)
        self.scale_ = float(np.exp(np.mean(np.log(f))))

    def factors(self, x: np.ndarray) -> np.ndarray:
        """TMM factors of the samples (rows) of a count matrix, relative to the training fit."""
        return self._raw(x, _lib_sizes(x)) / self.scale_

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        _check_counts(x, "TMM")
        lib = _lib_sizes(x)
        f = self._raw(x, lib) / self.scale_
        self.norm_factors_ = f
        return x / (lib * f)[:, None] * 1e6

    def _state(self) -> State:
        assert self.ref_counts_ is not None
        return {
            "ref_counts": self.ref_counts_,
            "ref_lib_size": self.ref_lib_size_,
            "scale": self.scale_,
        }

    def _load_state(self, state: State) -> None:
        self.ref_counts_ = as_array(state["ref_counts"])
        self.ref_lib_size_ = float(state["ref_lib_size"])  # type: ignore[arg-type]
        self.scale_ = float(state["scale"])  # type: ignore[arg-type]


class UpperQuartile(Preprocessor):
    """Upper-quartile normalised CPM (edgeR ``calcNormFactors(method="upperquartile")``).

    The ``p`` quantile is taken over the genes with a count in some training sample (edgeR
    drops all-zero genes first); factors are rescaled by the training geometric mean.

    Parameters
    ----------
    p
        Quantile (0.75 = upper quartile).
    """

    name = "upperquartile"
    config_keys = ("p",)

    def __init__(
        self, *, p: float = 0.75, layer: str | None = COUNTS_LAYER, out_layer: str | None = None
    ) -> None:
        super().__init__(layer=layer, out_layer=out_layer)
        if not 0 < p < 1:
            raise OncosigInputError(f"p must be in (0, 1), got {p}")
        self.p = float(p)
        self.gene_mask_: np.ndarray | None = None
        self.scale_: float = 1.0
        self.norm_factors_: np.ndarray | None = None

    def _raw(self, x: np.ndarray, lib: np.ndarray) -> np.ndarray:
        assert self.gene_mask_ is not None
        return quantile_factors(x[:, self.gene_mask_], lib, self.p)

    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        _check_counts(x, "upper-quartile normalisation")
        self.gene_mask_ = np.asarray((x > 0).any(axis=0))
        f = self._raw(x, _lib_sizes(x))
        if np.any(f <= 0):
            raise OncosigInputError(
                f"the {self.p} quantile of some sample is 0; filter low-expressed genes "
                "first or use TMM"
            )
        self.scale_ = float(np.exp(np.mean(np.log(f))))

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        _check_counts(x, "upper-quartile normalisation")
        lib = _lib_sizes(x)
        f = self._raw(x, lib) / self.scale_
        self.norm_factors_ = f
        with np.errstate(divide="ignore", invalid="ignore"):
            return x / (lib * f)[:, None] * 1e6

    def _state(self) -> State:
        assert self.gene_mask_ is not None
        return {"gene_mask": self.gene_mask_.astype(np.uint8), "scale": self.scale_}

    def _load_state(self, state: State) -> None:
        self.gene_mask_ = np.asarray(state["gene_mask"]).astype(bool)
        self.scale_ = float(state["scale"])  # type: ignore[arg-type]


class MedianOfRatios(Preprocessor):
    """DESeq2 median-of-ratios normalised counts (``counts(dds, normalized=TRUE)``).

    :meth:`fit` stores the per-gene geometric means of the training samples; held-out
    samples get size factors against those means (DESeq2's ``estimateSizeFactors`` with
    ``geoMeans``, without re-centring, so a training sample keeps its factor).  The factors
    of the last transform are in ``size_factors_``.
    """

    name = "median_of_ratios"

    def __init__(self, *, layer: str | None = COUNTS_LAYER, out_layer: str | None = None) -> None:
        super().__init__(layer=layer, out_layer=out_layer)
        self.log_geo_means_: np.ndarray | None = None
        self.size_factors_: np.ndarray | None = None

    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        _check_counts(x, "median-of-ratios normalisation")
        with np.errstate(divide="ignore"):
            self.log_geo_means_ = np.mean(np.log(x), axis=0)
        if not np.isfinite(self.log_geo_means_).any():
            raise OncosigInputError(
                "every gene contains at least one zero, cannot compute log geometric means; "
                "filter genes or use TMM / upper-quartile normalisation"
            )

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        _check_counts(x, "median-of-ratios normalisation")
        assert self.log_geo_means_ is not None
        sf = _size_factors_from_log_geo_means(x, self.log_geo_means_)
        self.size_factors_ = sf
        return x / sf[:, None]

    def _state(self) -> State:
        assert self.log_geo_means_ is not None
        return {"geo_means": np.exp(self.log_geo_means_)}

    def _load_state(self, state: State) -> None:
        with np.errstate(divide="ignore"):
            self.log_geo_means_ = np.log(as_array(state["geo_means"]))
