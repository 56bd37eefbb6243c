"""Acceptance on real data: legacy TCGA ``SYMBOL|ENTREZ`` matrices align to Ensembl genes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from anndata import AnnData

from oncosig.genes import align_genes, gene_table, to_ensembl

pytestmark = [pytest.mark.slow, pytest.mark.shared]


@pytest.fixture(scope="module")
def kich(shared_dir: Path) -> pd.DataFrame:
    """TCGA-KICH counts, genes x samples, 56,537 unversioned Ensembl IDs."""
    return pd.read_csv(
        shared_dir / "tcga-counts" / "TCGA_KICH_Counts.exp.gz", sep="\t", index_col=0
    )


def test_legacy_symbol_entrez_matrix_aligns(kich: pd.DataFrame) -> None:
    """A RNASeqV2-style matrix (``TP53|7157``, ``?|ENTREZ``) finds >= 95 % of its genes."""
    table = gene_table().reindex(kich.index)
    has = table["entrez"].notna().to_numpy()
    sub = table[has]
    # legacy matrices write "?" where the gene had no HGNC symbol
    symbols = sub["symbol"].where(sub["hgnc_id"].notna(), "?").fillna("?")
    legacy_names = [f"{s}|{e}" for s, e in zip(symbols, sub["entrez"], strict=True)]
    assert sum(n.startswith("?|") for n in legacy_names) > 100
    counts = kich.to_numpy()[has].T
    legacy = AnnData(X=counts.copy(), layers={"counts": counts})
    legacy.var_names = legacy_names
    legacy.obs_names = kich.columns

    out = align_genes(legacy, list(kich.index), warn_above=1.0)
    n_found = out.uns["align_report"]["n_found"]
    assert n_found / len(legacy_names) >= 0.95
    # values arrive at the right Ensembl gene: where the Entrez ID maps back to the
    # original Ensembl gene unambiguously, the counts are the original ones
    back = to_ensembl(legacy_names, id_type="symbol|entrez").to_numpy()
    exact = np.flatnonzero(back == sub.index.to_numpy())
    assert len(exact) / len(legacy_names) >= 0.95
    rng = np.random.default_rng(0)
    for i in rng.choice(exact, 200, replace=False):
        gene = sub.index[i]
        if (back == gene).sum() == 1:
            np.testing.assert_array_equal(out[:, gene].layers["counts"].ravel(), counts[:, i])


def test_legacy_geneinfo_ids(shared_dir: Path, kich: pd.DataFrame) -> None:
    """The TCGA legacy gene list (RNASeqV2, hg19; symbols, or Entrez where no symbol)."""
    legacy = pd.read_csv(
        shared_dir / "annotation" / "tcgabiolinks_geneInfo_legacy_gc_length.tsv.gz",
        sep="\t",
        dtype={"gene_id": str},
    )["gene_id"]
    assert len(legacy) == 20531
    entrez_only = legacy[legacy.str.fullmatch(r"\d+")]
    as_legacy = [f"?|{e}" for e in entrez_only]
    mapped = to_ensembl(as_legacy, id_type="symbol|entrez")
    assert mapped.notna().sum() >= 0.5 * len(entrez_only)
    # symbols of 2010-2015 (e.g. A2BP1, now RBFOX1) need an HGNC previous-symbol table,
    # which the shipped annotation lacks; ~85 % of the legacy symbols are current ones
    found = to_ensembl(list(legacy), id_type="mixed").isin(set(kich.index))
    assert found.mean() >= 0.84
