"""Log transforms and per-gene z-scores."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
from anndata import AnnData

from oncosig._constants import COUNTS_LAYER
from oncosig._errors import OncosigInputError
from oncosig.pp._base import Preprocessor, State, as_array
from oncosig.pp._scale import TMM, UpperQuartile, _check_counts, _lib_sizes


def rank_normal_scores(values: np.ndarray) -> np.ndarray:
    """Rank-based inverse normal scores of each sample (row) over its measured genes.

    Each row's values are ranked (ties get their average rank) and rank ``r`` of ``n``
    measured genes becomes ``Φ⁻¹((r - 0.5) / n)``, the standard normal quantile.  The scores
    depend only on the order of a sample's genes, so they are unchanged by library size and
    by a few genes taking a large share of the counts; no state is learned.

    Parameters
    ----------
    values
        Samples x genes (counts or any monotone transform of them); NaN = not measured,
        which stays NaN.

    Returns
    -------
    float64 array of the same shape.
    """
    from scipy.special import ndtri
    from scipy.stats import rankdata

    x = np.asarray(values, dtype=np.float64)
    if x.ndim != 2:
        raise OncosigInputError(f"expected a samples x genes matrix, got {x.ndim}-D")
    if x.size == 0:
        return x.copy()
    ranks = rankdata(x, axis=1, nan_policy="omit")
    n = (~np.isnan(x)).sum(axis=1, keepdims=True).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(ndtri((ranks - 0.5) / np.maximum(n, 1.0)), dtype=np.float64)


class Log2P1(Preprocessor):
    """``log2(x + pseudocount)`` (default ``log2(x + 1)``); no learned state.

    Parameters
    ----------
    pseudocount
        Added before the logarithm; must be positive.
    """

    name = "log2p1"
    config_keys = ("pseudocount",)

    def __init__(
        self, *, pseudocount: float = 1.0, layer: str | None = None, out_layer: str | None = None
    ) -> None:
        super().__init__(layer=layer, out_layer=out_layer)
        if pseudocount <= 0:
            raise OncosigInputError(f"pseudocount must be positive, got {pseudocount}")
        self.pseudocount = float(pseudocount)

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        if np.nanmin(x, initial=0.0) <= -self.pseudocount:
            raise OncosigInputError(
                f"log2(x + {self.pseudocount}) needs values above {-self.pseudocount}; "
                "apply it to counts or normalised counts, not to z-scores"
            )
        return np.log2(x + self.pseudocount)


class LogCPM(Preprocessor):
    """edgeR ``cpm(y, log=TRUE, prior.count=2)`` on raw counts.

    Each sample's prior count is ``prior_count * lib / mean(lib)`` and its library size is
    increased by twice that prior; ``lib`` is the effective library size (library size x
    normalisation factor) and ``mean(lib)`` is the mean over the *training* samples, so a
    held-out sample is transformed exactly as it would be inside the training set.

    Parameters
    ----------
    prior_count
        edgeR's ``prior.count``.
    norm
        Normalisation factors: ``"none"`` (library sizes only, edgeR ``cpm(counts)``),
        ``"TMM"`` or ``"upperquartile"`` (``cpm(calcNormFactors(DGEList(counts)))``).
    """

    name = "logcpm"
    config_keys = ("prior_count", "norm")

    def __init__(
        self,
        *,
        prior_count: float = 2.0,
        norm: Literal["none", "TMM", "upperquartile"] = "none",
        layer: str | None = COUNTS_LAYER,
        out_layer: str | None = None,
    ) -> None:
        super().__init__(layer=layer, out_layer=out_layer)
        if prior_count < 0:
            raise OncosigInputError(f"prior_count must be >= 0, got {prior_count}")
        if norm not in ("none", "TMM", "upperquartile"):
            raise OncosigInputError(f"norm must be 'none', 'TMM' or 'upperquartile', got {norm!r}")
        self.prior_count = float(prior_count)
        self.norm = norm
        self.mean_lib_size_: float = 1.0
        self._factors: TMM | UpperQuartile | None = None

    def _make_factors(self) -> TMM | UpperQuartile | None:
        if self.norm == "TMM":
            return TMM(layer=self.layer)
        if self.norm == "upperquartile":
            return UpperQuartile(layer=self.layer)
        return None

    def _eff_lib(self, x: np.ndarray) -> np.ndarray:
        lib = _lib_sizes(x)
        if self._factors is None:
            return lib
        if isinstance(self._factors, TMM):
            return lib * self._factors.factors(x)
        return lib * self._factors._raw(x, lib) / self._factors.scale_

    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        _check_counts(x, "log-CPM")
        self._factors = self._make_factors()
        if self._factors is not None:
            self._factors._fit(x, adata)
            self._factors.genes_ = [str(g) for g in adata.var_names]
        self.mean_lib_size_ = float(np.mean(self._eff_lib(x)))

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        _check_counts(x, "log-CPM")
        lib = self._eff_lib(x)
        prior = self.prior_count * lib / self.mean_lib_size_
        adj = (lib + 2 * prior) * 1e-6
        return np.log2((x + prior[:, None]) / adj[:, None])

    def _state(self) -> State:
        state: State = {"mean_lib_size": self.mean_lib_size_}
        if self._factors is not None:
            for k, v in self._factors._state().items():
                state[f"factors.{k}"] = v
        return state

    def _load_state(self, state: State) -> None:
        self.mean_lib_size_ = float(state["mean_lib_size"])  # type: ignore[arg-type]
        self._factors = self._make_factors()
        if self._factors is not None:
            sub = {k.split(".", 1)[1]: v for k, v in state.items() if k.startswith("factors.")}
            self._factors._load_state(sub)
            self._factors.genes_ = self.genes_


class ZScore(Preprocessor):
    """Per-gene z-score with means and standard deviations from the training samples.

    NaN values (genes missing after :func:`oncosig.genes.align_genes`) become 0 after
    scaling, i.e. the training mean, so they carry no signal.  Genes with zero training
    variance are centred only.

    Parameters
    ----------
    ddof
        Delta degrees of freedom of the standard deviation (0 like scikit-learn's
        ``StandardScaler``).
    """

    name = "zscore"
    config_keys = ("ddof",)
    _allow_nan_fit = True

    def __init__(
        self, *, ddof: int = 0, layer: str | None = None, out_layer: str | None = None
    ) -> None:
        super().__init__(layer=layer, out_layer=out_layer)
        self.ddof = int(ddof)
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(x, axis=0)
            sd = np.nanstd(x, axis=0, ddof=self.ddof)
        all_nan = np.isnan(mean)
        if all_nan.any():
            warnings.warn(
                f"{int(all_nan.sum())} gene(s) have no value in any training sample; "
                "their z-scores will be 0",
                RuntimeWarning,
                stacklevel=3,
            )
        self.mean_ = np.where(all_nan, 0.0, mean)
        self.scale_ = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)

    def _transform(self, x: np.ndarray, adata: AnnData) -> np.ndarray:
        assert self.mean_ is not None and self.scale_ is not None
        z = (x - self.mean_) / self.scale_
        return np.where(np.isnan(z), 0.0, z)

    def _state(self) -> State:
        assert self.mean_ is not None and self.scale_ is not None
        return {"mean": self.mean_, "scale": self.scale_}

    def _load_state(self, state: State) -> None:
        self.mean_ = as_array(state["mean"])
        self.scale_ = as_array(state["scale"])
