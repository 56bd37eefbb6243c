"""GSEA prerank through gseapy, offline (gene sets given as a dict, never downloaded)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from oncosig._errors import OncosigInputError
from oncosig.enrich._gmt import GeneSetLibrary
from oncosig.enrich._ids import is_ensembl, to_symbols
from oncosig.enrich._library import load_library

log = logging.getLogger(__name__)

GSEA_COLUMNS = ["term", "es", "nes", "pvalue", "fdr", "fwer", "set_size", "lead_genes"]


def gsea_prerank(
    ranking: pd.Series,
    *,
    library: str | Path | GeneSetLibrary | dict[str, list[str]] = "hallmark",
    min_size: int = 15,
    max_size: int = 500,
    permutations: int = 1000,
    seed: int = 0,
    weight: float = 1.0,
) -> pd.DataFrame:
    """Preranked GSEA (gseapy) of a ranked gene list.

    Parameters
    ----------
    ranking
        Scores indexed by gene (symbols or Ensembl IDs), e.g. logFC or signed -log10 p;
        high = the top of the ranking.  Duplicated genes keep their largest absolute score.
    library
        Built-in name, GMT path, ``{term: genes}`` or a :class:`GeneSetLibrary`.  Sets are
        restricted to the ranked genes before gseapy sees them; nothing is downloaded.
    min_size, max_size
        Size range of the (restricted) sets tested.
    permutations
        Gene-set permutations for the null distribution.
    seed
        Random seed (gseapy runs single-threaded, so results repeat exactly).
    weight
        GSEA weight exponent ``p``.

    Returns
    -------
    DataFrame with columns ``term, es, nes, pvalue, fdr, fwer, set_size, lead_genes`` sorted
    by FDR then p-value.
    """
    import gseapy

    if not isinstance(ranking, pd.Series):
        raise OncosigInputError("ranking must be a pandas Series of scores indexed by gene")
    scores = pd.to_numeric(ranking, errors="coerce").dropna()
    names = scores.index.astype(str)
    if any(is_ensembl(g) for g in names):
        mapped = {g: (to_symbols([g]) or [""])[0] for g in names}
        scores.index = pd.Index([mapped[g] for g in names])
        scores = scores[scores.index != ""]
    else:
        scores.index = names
    scores = scores.iloc[np.argsort(-scores.abs().to_numpy(), kind="stable")]
    scores = scores[~scores.index.duplicated()].sort_values(ascending=False)
    if len(scores) < min_size:
        raise OncosigInputError(f"the ranking has {len(scores)} usable genes; need >= {min_size}")
    lib = load_library(library)
    present = set(scores.index)
    sets = {t: [g for g in gs if g in present] for t, gs in lib.to_dict().items()}
    sets = {t: gs for t, gs in sets.items() if min_size <= len(gs) <= max_size}
    if not sets:
        raise OncosigInputError(
            f"no gene set of library '{lib.name}' has {min_size}-{max_size} ranked genes"
        )
    res = gseapy.prerank(
        rnk=scores,
        gene_sets=sets,
        outdir=None,
        min_size=min_size,
        max_size=max_size,
        permutation_num=permutations,
        weight=weight,
        threads=1,
        seed=seed,
        no_plot=True,
        verbose=False,
    ).res2d
    out = pd.DataFrame(
        {
            "term": res["Term"].astype(str),
            "es": res["ES"].astype(float),
            "nes": res["NES"].astype(float),
            "pvalue": res["NOM p-val"].astype(float),
            "fdr": res["FDR q-val"].astype(float),
            "fwer": res["FWER p-val"].astype(float),
            "set_size": [len(sets[t]) for t in res["Term"].astype(str)],
            "lead_genes": res["Lead_genes"].astype(str),
        },
        columns=GSEA_COLUMNS,
    )
    return out.sort_values(["fdr", "pvalue", "term"]).reset_index(drop=True)
