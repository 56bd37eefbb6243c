"""Gene and sample filters learnt on training samples.

* :class:`QuantileFilter` — TCGAbiolinks ``TCGAanalyze_Filtering(method="quantile")``:
  keep genes whose mean over samples is above the ``qnt_cut`` quantile of gene means.
* :class:`OutlierSampleFilter` — TCGAbiolinks ``TCGAanalyze_Preprocessing(cor.cut=)``:
  drop samples whose mean Spearman correlation with the samples (itself included, as in
  R's ``rowMeans(cor(...))``) is not above ``cor_cut``.
"""

from __future__ import annotations

import logging

import numpy as np
from anndata import AnnData

from oncosig._errors import OncosigInputError
from oncosig.pp._base import Preprocessor, State, as_array, get_matrix
from oncosig.pp._rstats import r_quantile, spearman_sample_scores

logger = logging.getLogger(__name__)


class QuantileFilter(Preprocessor):
    """Keep genes whose training mean is above the ``qnt_cut`` quantile of gene means.

    :meth:`transform` subsets the genes of any AnnData to the kept ones (in place unless
    ``copy``); the kept genes are ``kept_genes_``.

    Parameters
    ----------
    qnt_cut
        Quantile of gene means (R type 7); genes with a mean strictly above it are kept.
    layer
        Values to average; ``None`` = ``X`` (TCGAbiolinks applies it to normalised data).
    """

    name = "quantile_filter"
    config_keys = ("qnt_cut",)

    def __init__(self, *, qnt_cut: float = 0.25, layer: str | None = None) -> None:
        super().__init__(layer=layer, out_layer=None)
        if not 0 <= qnt_cut <= 1:
            raise OncosigInputError(f"qnt_cut must be in [0, 1], got {qnt_cut}")
        self.qnt_cut = float(qnt_cut)
        self.keep_: np.ndarray | None = None
        self.threshold_: float = float("nan")

    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        means = x.mean(axis=0)
        self.threshold_ = float(r_quantile(means, self.qnt_cut))
        self.keep_ = means > self.threshold_
        logger.info(
            "quantile filter keeps %d of %d genes (mean > %.4g)",
            int(self.keep_.sum()),
            len(means),
            self.threshold_,
        )

    @property
    def kept_genes_(self) -> list[str]:
        """Names of the genes kept by the fit."""
        if self.genes_ is None or self.keep_ is None:
            raise OncosigInputError("quantile_filter is not fitted; call fit() first")
        return [g for g, k in zip(self.genes_, self.keep_, strict=True) if k]

    def transform(self, adata: AnnData, *, copy: bool = False) -> AnnData | None:
        """Subset ``adata`` to the kept genes (in place unless ``copy``)."""
        kept = self.kept_genes_
        names = [str(g) for g in adata.var_names]
        pos = {g: i for i, g in enumerate(names)}
        missing = [g for g in kept if g not in pos]
        if missing:
            raise OncosigInputError(
                f"{len(missing)} kept gene(s) are absent, e.g. {missing[:3]}; align the genes "
                "first with oncosig.genes.align_genes"
            )
        mask = np.zeros(len(names), dtype=bool)
        mask[[pos[g] for g in kept]] = True
        if copy:
            return adata[:, mask].copy()
        adata._inplace_subset_var(mask)
        return None

    def _state(self) -> State:
        assert self.keep_ is not None
        return {"keep": self.keep_.astype(np.uint8), "threshold": self.threshold_}

    def _load_state(self, state: State) -> None:
        self.keep_ = np.asarray(state["keep"]).astype(bool)
        self.threshold_ = float(state["threshold"])  # type: ignore[arg-type]


class OutlierSampleFilter(Preprocessor):
    """Remove samples with a low mean Spearman correlation to the training samples.

    On the training samples this is exactly TCGAbiolinks' rule: ``rowMeans`` of the
    sample x sample Spearman correlation matrix (self-correlation 1 included) must be
    above ``cor_cut``.  The fit keeps the mean standardised rank profile of the training
    samples, so a held-out sample's score is its mean correlation with the training
    samples.  Scores of the last call are in ``scores_``.

    Parameters
    ----------
    cor_cut
        Samples whose mean correlation is ``<= cor_cut`` are removed.
    layer
        Values to correlate; ``None`` = ``X``.
    """

    name = "outlier_filter"
    config_keys = ("cor_cut",)

    def __init__(self, *, cor_cut: float = 0.6, layer: str | None = None) -> None:
        super().__init__(layer=layer, out_layer=None)
        if not -1 <= cor_cut <= 1:
            raise OncosigInputError(f"cor_cut must be in [-1, 1], got {cor_cut}")
        self.cor_cut = float(cor_cut)
        self.mean_profile_: np.ndarray | None = None
        self.scores_: np.ndarray | None = None

    def _fit(self, x: np.ndarray, adata: AnnData) -> None:
        if x.shape[0] < 2:
            raise OncosigInputError("outlier removal needs at least 2 samples")
        self.mean_profile_ = spearman_sample_scores(x).mean(axis=0)

    def scores(self, adata: AnnData) -> np.ndarray:
        """Mean Spearman correlation of each sample with the training samples."""
        x = self._aligned(adata)
        if np.isnan(x).any():
            raise OncosigInputError(
                "outlier removal needs complete data; drop or impute the missing (NaN) genes"
            )
        assert self.mean_profile_ is not None
        return np.asarray(spearman_sample_scores(x) @ self.mean_profile_ / x.shape[1])

    def transform(self, adata: AnnData, *, copy: bool = False) -> AnnData | None:
        """Drop the samples whose score is not above ``cor_cut`` (in place unless ``copy``)."""
        s = self.scores(adata)
        self.scores_ = s
        keep = s > self.cor_cut
        n_drop = int((~keep).sum())
        if n_drop:
            logger.info("removing %d outlier sample(s) (mean Spearman <= %s)", n_drop, self.cor_cut)
        if not keep.any():
            raise OncosigInputError(
                f"every sample has a mean correlation <= {self.cor_cut}; lower cor_cut"
            )
        if copy:
            return adata[keep].copy()
        adata._inplace_subset_obs(keep)
        return None

    def _state(self) -> State:
        assert self.mean_profile_ is not None
        return {"mean_profile": self.mean_profile_}

    def _load_state(self, state: State) -> None:
        self.mean_profile_ = as_array(state["mean_profile"])


def sample_correlation_scores(adata: AnnData, *, layer: str | None = None) -> np.ndarray:
    """``rowMeans(cor(t(x), method="spearman"))`` for the samples of ``adata``."""
    z = spearman_sample_scores(get_matrix(adata, layer, allow_nan=False))
    return np.asarray(z @ z.mean(axis=0) / z.shape[1])
