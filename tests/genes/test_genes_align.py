"""align_genes(): exact reference order, NaN (never 0) for missing genes, warn, raise."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from anndata import AnnData

from oncosig._errors import OncosigInputError
from oncosig.genes import align_genes

GENES = ["ENSG00000141510", "ENSG00000146648", "ENSG00000012048", "ENSG00000000003"]


def _cohort(names: list[str], rng: np.random.Generator) -> AnnData:
    counts = rng.integers(1, 100, size=(5, len(names)))
    ad = AnnData(
        X=counts.astype(np.float32),
        layers={"counts": counts, "logcpm": np.log1p(counts.astype(float))},
    )
    ad.var_names = names
    ad.obs_names = [f"s{i}" for i in range(5)]
    return ad


def test_missing_genes_are_nan_in_x_and_every_layer(rng: np.random.Generator) -> None:
    ad = _cohort([GENES[2], GENES[0], "ENSG00000999999"], rng)
    out = align_genes(ad, GENES, warn_above=0.9)
    assert list(out.var_names) == GENES
    assert out.var["missing"].tolist() == [False, True, False, True]
    for m in (out.X, out.layers["counts"], out.layers["logcpm"]):
        assert np.isnan(m[:, [1, 3]]).all()
        assert not np.isnan(m[:, [0, 2]]).any()
    np.testing.assert_array_equal(out.layers["counts"][:, 0], ad.layers["counts"][:, 1])
    np.testing.assert_array_equal(out.layers["counts"][:, 2], ad.layers["counts"][:, 0])
    assert out.uns["align_report"] == {
        "n_reference": 4,
        "n_found": 2,
        "n_missing": 2,
        "share_missing": 0.5,
    }
    assert list(out.obs_names) == list(ad.obs_names)


def test_warns_only_above_threshold(rng: np.random.Generator) -> None:
    ad = _cohort(GENES[:3], rng)  # 1 of 4 missing = 25 %
    with pytest.warns(UserWarning, match="1 of 4 model genes"):
        align_genes(ad, GENES, warn_above=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = align_genes(ad, GENES, warn_above=0.3)
    assert out.uns["align_report"]["n_missing"] == 1


def test_raises_when_nothing_matches(rng: np.random.Generator) -> None:
    ad = _cohort(["NOTAGENE1", "NOTAGENE2", "NOTAGENE3"], rng)
    with pytest.raises(OncosigInputError, match=r"look like symbol.*expects ensembl"):
        align_genes(ad, GENES)


def test_harmonises_other_id_kinds(rng: np.random.Generator) -> None:
    ad = _cohort(["EGFR|1956", "TP53|7157", "?|672", "P53|7157"], rng)
    out = align_genes(ad, GENES, warn_above=0.5)
    assert out.var["missing"].tolist() == [False, False, False, True]
    c = ad.layers["counts"]
    np.testing.assert_array_equal(out.layers["counts"][:, 0], c[:, 1] + c[:, 3])  # summed
    np.testing.assert_array_equal(out.layers["counts"][:, 2], c[:, 2])  # BRCA1 via Entrez
    assert out.var.loc[GENES[0], "original_id"] == "TP53|7157;P53|7157"
    assert out.var.loc[GENES[0], "symbol"] == "TP53"


def test_versioned_cohort_and_symbol_reference(rng: np.random.Generator) -> None:
    ad = _cohort([g + ".3" for g in GENES], rng)
    out = align_genes(ad, ["BRCA1", "TP53"])
    assert list(out.var_names) == ["BRCA1", "TP53"]
    np.testing.assert_array_equal(out.layers["counts"], ad.layers["counts"][:, [2, 0]])


def test_no_missing_keeps_dtype_and_layers_flag(rng: np.random.Generator) -> None:
    ad = _cohort(GENES, rng)
    out = align_genes(ad, GENES[::-1], layers=False)
    assert out.X.dtype == np.float32
    assert len(out.layers) == 0
    np.testing.assert_array_equal(out.X, ad.X[:, ::-1])
    assert not out.var["missing"].any()


def test_bad_reference(rng: np.random.Generator) -> None:
    ad = _cohort(GENES, rng)
    with pytest.raises(OncosigInputError, match="duplicates"):
        align_genes(ad, [GENES[0], GENES[0]])
    with pytest.raises(OncosigInputError, match="empty"):
        align_genes(ad, [])
