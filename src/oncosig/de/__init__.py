"""Differential expression (edgeR / DESeq2 parity) and DEGnext gene labelling.

Engines (two groups, logFC = other vs reference):

- :func:`differential_expression` - AnnData entry point, ``method`` one of
  ``"edger-lrt"`` (default), ``"edger-exact"``, ``"edger-ql"``, ``"deseq2"``;
- :func:`exact_test`, :func:`glm_lrt`, :func:`glm_ql`, :func:`deseq2` - the same on a
  count matrix (samples x genes) and a group vector;
- :func:`bh_fdr` - Benjamini-Hochberg adjustment (NaN-aware).

The edgeR engines are vectorised re-implementations of edgeR 3.40 (all genes at once,
numpy/scipy); DESeq2 runs through pydeseq2.  Labelling: :func:`label_genes`,
:func:`knowledge_genes`, :func:`split_degnext`, :func:`cv_folds`.
"""

from oncosig.de._api import (
    METHODS,
    deseq2,
    differential_expression,
    exact_test,
    glm_lrt,
    glm_ql,
)
from oncosig.de._fdr import bh_fdr
from oncosig.de._knowledge import knowledge_genes
from oncosig.de._label import label_genes
from oncosig.de._splits import cv_folds, split_degnext

__all__ = [
    "METHODS",
    "bh_fdr",
    "cv_folds",
    "deseq2",
    "differential_expression",
    "exact_test",
    "glm_lrt",
    "glm_ql",
    "knowledge_genes",
    "label_genes",
    "split_degnext",
]
