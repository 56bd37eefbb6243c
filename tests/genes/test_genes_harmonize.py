"""harmonize(): renaming to unversioned Ensembl IDs and the duplicate rule."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from anndata import AnnData

from oncosig._errors import OncosigInputError
from oncosig.genes import harmonize

TP53 = "ENSG00000141510"
EGFR = "ENSG00000146648"
PAR = "ENSG00000182378"  # PLCXD1, X copy of a PAR gene


def _adata(var_names: list[str], rng: np.random.Generator, **layers: np.ndarray) -> AnnData:
    counts = rng.integers(0, 50, size=(4, len(var_names)))
    ad = AnnData(X=counts.copy(), layers={"counts": counts, **layers})
    ad.var_names = var_names
    ad.obs_names = [f"s{i}" for i in range(4)]
    return ad


def test_versions_stripped_and_par_y_dropped(rng: np.random.Generator) -> None:
    names = [f"{TP53}.17", f"{PAR}.14", f"{PAR}.14_PAR_Y", f"{EGFR}.15"]
    ad = _adata(names, rng)
    out = harmonize(ad)
    assert list(out.var_names) == [TP53, PAR, EGFR]
    # the X copy's values, not X + Y
    np.testing.assert_array_equal(out.layers["counts"][:, 1], ad.layers["counts"][:, 1])
    assert out.var["original_id"].tolist() == [f"{TP53}.17", f"{PAR}.14", f"{EGFR}.15"]
    assert out.var["symbol"].tolist() == ["TP53", "PLCXD1", "EGFR"]
    assert out.var["gene_type"].tolist() == ["protein_coding"] * 3
    assert out.uns["harmonize_report"]["n_par_y_dropped"] == 1
    assert list(ad.var_names) == names  # input untouched


def test_lone_par_y_copy_is_kept(rng: np.random.Generator) -> None:
    out = harmonize(_adata([TP53, "ENSGR0000182378"], rng))
    assert list(out.var_names) == [TP53, PAR]


def test_duplicates_summed_for_counts_maxmean_for_values(rng: np.random.Generator) -> None:
    logv = rng.normal(size=(4, 4))
    logv[:, 2] += 5  # the second TP53 row has the higher mean
    ad = _adata(["TP53", "EGFR", "7157", "NOTAGENE1"], rng, log=logv)
    out = harmonize(ad, id_type="mixed", drop_unmapped=True)
    assert list(out.var_names) == [TP53, EGFR]
    c = ad.layers["counts"]
    np.testing.assert_array_equal(out.layers["counts"][:, 0], c[:, 0] + c[:, 2])
    np.testing.assert_array_equal(out.X[:, 0], ad.X[:, 0] + ad.X[:, 2])
    np.testing.assert_array_equal(out.layers["log"][:, 0], logv[:, 2])
    assert out.var.loc[TP53, "original_id"] == "TP53;7157"
    rep = out.uns["harmonize_report"]
    assert rep["n_unmapped"] == 1 and rep["n_merged_into_others"] == 1


def test_duplicates_first_and_raise(rng: np.random.Generator) -> None:
    ad = _adata(["TP53|7157", "EGFR|1956", "P53|7157"], rng)
    out = harmonize(ad, duplicates="first")
    np.testing.assert_array_equal(out.layers["counts"][:, 0], ad.layers["counts"][:, 0])
    with pytest.raises(OncosigInputError, match="duplicates="):
        harmonize(ad, duplicates="raise")
    with pytest.raises(OncosigInputError, match="duplicates must be"):
        harmonize(ad, duplicates="mean")  # type: ignore[arg-type]


def test_keep_unmapped(rng: np.random.Generator) -> None:
    ad = _adata(["TP53", "NOTAGENE1", "EGFR"], rng)
    out = harmonize(ad, drop_unmapped=False)
    assert list(out.var_names) == [TP53, "NOTAGENE1", EGFR]
    assert out.var["symbol"].isna().tolist() == [False, True, False]
    assert out.uns["harmonize_report"]["n_unmapped_dropped"] == 0


def test_sparse_counts_are_summed(rng: np.random.Generator) -> None:
    dense = rng.integers(0, 5, size=(4, 3))
    ad = AnnData(X=sp.csr_matrix(dense))
    ad.var_names = ["TP53|7157", "P53|7157", "EGFR|1956"]
    out = harmonize(ad)
    assert sp.issparse(out.X)
    np.testing.assert_array_equal(out.X.toarray()[:, 0], dense[:, 0] + dense[:, 1])


def test_mixed_ids_refused_in_auto_mode(rng: np.random.Generator) -> None:
    names = ["TP53", "EGFR", "BRCA1", "ENSG00000000003", "ENSG00000000005"]
    with pytest.raises(OncosigInputError, match="mixed kinds"):
        harmonize(_adata(names, rng))


def test_second_harmonisation_keeps_original_ids(rng: np.random.Generator) -> None:
    ad = _adata(["TP53|7157", "P53|7157", "EGFR|1956"], rng)
    ad.var["symbol"] = ["TP53", "P53", "EGFR"]
    once = harmonize(ad)
    twice = harmonize(once)
    assert twice.var["original_id"].tolist() == ["TP53|7157;P53|7157", "EGFR|1956"]
    np.testing.assert_array_equal(twice.layers["counts"], once.layers["counts"])
    kept = harmonize(_adata(["NOTAGENE1", "TP53"], rng), drop_unmapped=False)
    assert kept.var["symbol"].tolist()[1] == "TP53"
