"""Over-representation analysis: one-sided hypergeometric test per term, BH FDR."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import hypergeom

from oncosig._errors import OncosigInputError
from oncosig.de._fdr import bh_fdr
from oncosig.enrich._gmt import GeneSetLibrary
from oncosig.enrich._ids import to_symbols
from oncosig.enrich._library import load_library

log = logging.getLogger(__name__)

ORA_COLUMNS = ["term", "overlap", "set_size", "pvalue", "fdr", "genes"]


def ora(
    genes: Iterable[str],
    *,
    library: str | Path | GeneSetLibrary | dict[str, list[str]] = "go-bp",
    background: Iterable[str] | None = None,
    min_size: int = 5,
    max_size: int = 500,
) -> pd.DataFrame:
    """Over-representation analysis of a gene list (hypergeometric test, BH FDR).

    Parameters
    ----------
    genes
        The gene list (HGNC symbols or Ensembl IDs; Ensembl IDs are translated through
        :func:`oncosig.genes.gene_table`).
    library
        ``"go-bp"``, ``"hallmark"``, ``"reactome"``, ``"wikipathways"``, a GMT path, a
        ``{term: genes}`` dict or a :class:`GeneSetLibrary`.
    background
        The measured genes.  When given, the universe is the background genes annotated in
        the library, every set is restricted to it, and so is the gene list.  Default: every
        gene annotated in the library.
    min_size, max_size
        Terms whose (restricted) size is outside this range are not tested.

    Returns
    -------
    DataFrame with columns ``term, overlap, set_size, pvalue, fdr, genes`` (``genes``: the
    overlapping genes joined by ``;``), terms with at least one overlapping gene, sorted by
    p-value.  The FDR is computed over every tested term.  ``attrs`` holds ``n_genes``
    (list genes in the universe), ``universe`` and ``n_tested``.
    """
    if min_size < 1 or max_size < min_size:
        raise OncosigInputError("need 1 <= min_size <= max_size")
    lib = load_library(library)
    query = to_symbols([genes] if isinstance(genes, str) else genes)
    if not query:
        raise OncosigInputError("the gene list is empty")
    mat = lib.incidence
    universe = np.zeros(len(lib.genes), dtype=bool)
    if background is None:
        universe = np.bincount(mat.indices, minlength=len(lib.genes)) > 0
    else:
        bg = to_symbols([background] if isinstance(background, str) else background)
        universe[lib.gene_index(bg)] = True
        if not universe.any():
            raise OncosigInputError(
                "no background gene is in the library; are the IDs symbols or Ensembl IDs?"
            )
    in_query = np.zeros(len(lib.genes), dtype=bool)
    in_query[lib.gene_index(query)] = True
    in_query &= universe
    n_universe = int(universe.sum())
    n_query = int(in_query.sum())
    if n_query == 0:
        raise OncosigInputError(
            f"none of the {len(query)} genes is in library '{lib.name}' (within the background)"
        )
    if n_query < len(query):
        log.info("%d of %d genes are in the library universe", n_query, len(query))
    set_size = np.asarray(mat @ universe.astype(np.int32)).ravel()
    overlap = np.asarray(mat @ in_query.astype(np.int32)).ravel()
    tested = (set_size >= min_size) & (set_size <= max_size)
    pvals = np.where(tested, 1.0, np.nan)  # P(X >= 0) = 1 for terms without overlap
    hit = tested & (overlap > 0)
    # many terms share (overlap, size): evaluate the survival function once per pair
    pairs, inverse = np.unique(
        np.stack([overlap[hit], set_size[hit]], axis=1), axis=0, return_inverse=True
    )
    pvals[hit] = hypergeom.sf(pairs[:, 0] - 1, n_universe, pairs[:, 1], n_query)[inverse.ravel()]
    fdr = bh_fdr(pvals)
    keep = np.flatnonzero(hit)
    keep = keep[np.lexsort((lib.terms[keep], pvals[keep]))]
    query_cols = np.flatnonzero(in_query)
    hits = mat[keep][:, query_cols].tocsr()
    query_names = lib.genes[query_cols]
    gene_lists = [
        ";".join(query_names[hits.indices[hits.indptr[i] : hits.indptr[i + 1]]])
        for i in range(len(keep))
    ]
    res = pd.DataFrame(
        {
            "term": lib.terms[keep].astype(object),
            "overlap": overlap[keep].astype(np.int64),
            "set_size": set_size[keep].astype(np.int64),
            "pvalue": pvals[keep],
            "fdr": fdr[keep],
            "genes": gene_lists,
        },
        columns=ORA_COLUMNS,
    ).reset_index(drop=True)
    res.attrs.update(
        {
            "n_genes": n_query,
            "universe": n_universe,
            "n_tested": int(tested.sum()),
            "library": lib.name,
        }
    )
    return res
