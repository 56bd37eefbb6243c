"""Preprocessing of RNA-seq count matrices (AnnData samples x genes).

Array-level functions reproduce edgeR / DESeq2 exactly (:func:`calc_norm_factors`,
:func:`median_of_ratios`).  AnnData-level steps are fit/transform classes — fitted on
training samples, applied unchanged to held-out ones, with a ``state_dict()`` of plain
arrays for checkpoints — and scanpy-style functional wrappers (:func:`normalize`,
:func:`log_cpm`, :func:`gc_normalize`, :func:`filter_genes_quantile`,
:func:`remove_outlier_samples`).
"""

from oncosig.pp._api import (
    filter_genes_quantile,
    gc_normalize,
    log2p1,
    log_cpm,
    make_normalizer,
    normalize,
    remove_outlier_samples,
    zscore,
)
from oncosig.pp._base import Preprocessor
from oncosig.pp._factors import (
    as_count_matrix,
    calc_norm_factors,
    log_geo_means,
    median_of_ratios,
    quantile_factors,
    rle_factors,
    tmm_raw_factors,
    tmm_reference_column,
)
from oncosig.pp._filters import OutlierSampleFilter, QuantileFilter, sample_correlation_scores
from oncosig.pp._gc import GCNormalizer, gc_bins, quantile_normalize
from oncosig.pp._log import Log2P1, LogCPM, ZScore, rank_normal_scores
from oncosig.pp._rstats import r_quantile
from oncosig.pp._scale import CPM, TMM, MedianOfRatios, UpperQuartile

__all__ = [
    "CPM",
    "TMM",
    "GCNormalizer",
    "Log2P1",
    "LogCPM",
    "MedianOfRatios",
    "OutlierSampleFilter",
    "Preprocessor",
    "QuantileFilter",
    "UpperQuartile",
    "ZScore",
    "as_count_matrix",
    "calc_norm_factors",
    "filter_genes_quantile",
    "gc_bins",
    "gc_normalize",
    "log2p1",
    "log_cpm",
    "log_geo_means",
    "make_normalizer",
    "median_of_ratios",
    "normalize",
    "quantile_factors",
    "quantile_normalize",
    "r_quantile",
    "rank_normal_scores",
    "remove_outlier_samples",
    "rle_factors",
    "sample_correlation_scores",
    "tmm_raw_factors",
    "tmm_reference_column",
    "zscore",
]
