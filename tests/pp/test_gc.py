"""GC-content normalisation and the quantile filter against TCGAbiolinks' outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oncosig._errors import OncosigInputError
from oncosig.pp import GCNormalizer, Preprocessor, filter_genes_quantile, gc_bins, gc_normalize


@pytest.fixture(scope="module")
def gc_table(shared_dir: Path) -> pd.Series:
    t = pd.read_csv(
        shared_dir / "annotation" / "tcgabiolinks_geneInfoHT_gc_length.tsv.gz",
        sep="\t",
        index_col=0,
    )
    return t["gcContent"]


@pytest.mark.parametrize("co", ["CHOL", "KICH"])
def test_gc_normalization_matches_tcgabiolinks(cohort, r_ref, gc_table, shared_dir, co):
    a = cohort(co)
    out = gc_normalize(a, gc=gc_table, inplace=False)
    assert out is not None
    ref = r_ref(f"{co}_TCGAbiolinks_gcContent_normalized")
    assert set(out.var_names) == set(ref.index)
    ours = out.to_df().T.loc[ref.index, ref.columns].to_numpy()
    theirs = ref.to_numpy(np.float64)
    # the implementation reproduces R operation for operation: identical values
    assert np.mean(ours == theirs) >= 0.999
    rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1.0)
    assert rel.max() < 1e-6
    # quantile filter on top keeps the same genes as TCGAanalyze_Filtering
    kept_r = shared_dir / "r-reference" / f"{co}_TCGAbiolinks_quantile0.25_kept_genes.txt"
    kept_r_set = set(kept_r.read_text().split())
    filter_genes_quantile(out, qnt_cut=0.25)
    ours_set = set(out.var_names)
    agree = len(ours_set & kept_r_set) / len(ours_set | kept_r_set)
    assert agree >= 0.99
    assert ours_set == kept_r_set


def test_gc_fit_transform_held_out(cohort, gc_table):
    a = cohort("CHOL")
    train, test = a[:30].copy(), a[30:].copy()
    step = GCNormalizer(gc=gc_table).fit(train)
    full = step.transform_array(train)
    # training samples through transform == fit on them (R result on these samples)
    r_like = gc_normalize(train, gc=gc_table, inplace=False)
    assert r_like is not None
    np.testing.assert_array_equal(r_like.to_df()[step.genes_].to_numpy(), full)
    held = step.transform(test, copy=True)
    assert held is not None and held.n_obs == 15 and held.n_vars == len(step.genes_)
    # each held-out sample is normalised alone: same answer one by one
    one = step.transform_array(test[:1])
    np.testing.assert_array_equal(one, step.transform_array(test)[:1])
    # values live on the training reference distribution
    assert set(np.unique(held.X)) <= set(np.floor(step.reference_))
    # state round trip
    again = Preprocessor.from_state(step.state_dict())
    np.testing.assert_array_equal(again.transform_array(test), step.transform_array(test))


def test_gc_bins_like_r_cut():
    gc = np.array([0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80])
    b = gc_bins(gc, 10)
    # breaks are the values themselves: (b_k, b_k+1] with the minimum in the first bin
    np.testing.assert_array_equal(b, [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    with pytest.raises(OncosigInputError, match="not unique"):
        gc_bins(np.array([0.4] * 20), 10)


def test_gc_synthetic_drops_genes_without_gc(rng, to_adata):
    counts = rng.poisson(50, size=(6, 60)).astype(float)
    a = to_adata(counts)
    gc = pd.Series(rng.uniform(0.3, 0.7, 55), index=list(a.var_names[:55]))
    gc_normalize(a, gc=gc)
    assert a.n_vars == 55
    assert np.all(a.X == np.floor(a.X)) and np.all(a.X >= 0)
    with pytest.raises(OncosigInputError, match="no gene has a GC value"):
        gc_normalize(to_adata(counts, [f"G{i}" for i in range(60)]), gc=gc)


def test_gc_with_shipped_gene_table_matches_r(cohort, r_ref):
    a = cohort("KICH")
    out = gc_normalize(a, inplace=False)  # GC from oncosig.genes.gene_table()
    assert out is not None
    ref = r_ref("KICH_TCGAbiolinks_gcContent_normalized")
    common = ref.index.intersection(out.var_names)
    assert len(common) >= 0.99 * len(ref)
    ours = out.to_df().T.loc[common, ref.columns].to_numpy()
    np.testing.assert_allclose(ours, ref.loc[common].to_numpy(np.float64), rtol=0, atol=0)
