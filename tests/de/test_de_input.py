"""Bad input gives OncosigInputError with an actionable message; special genes as R."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from oncosig._errors import OncosigInputError
from oncosig.de import differential_expression, exact_test, glm_lrt, glm_ql


def make_adata(rng: np.random.Generator, n_normal: int = 4, n_tumor: int = 5) -> ad.AnnData:
    n = n_normal + n_tumor
    mu = rng.gamma(2.0, 50.0, size=60)
    lib = rng.uniform(0.7, 1.3, size=n)
    counts = rng.negative_binomial(5, 5 / (5 + np.outer(lib, mu)))
    counts[n_normal:, :6] *= 6  # some up-regulated genes
    counts[:, 10] = 0  # an all-zero gene
    a = ad.AnnData(
        X=np.zeros((n, 60)),
        obs=pd.DataFrame(
            {"condition": ["normal"] * n_normal + ["tumor"] * n_tumor},
            index=[f"s{i}" for i in range(n)],
        ),
        var=pd.DataFrame(index=[f"ENSG{i:011d}" for i in range(60)]),
    )
    a.layers["counts"] = counts.astype(float)
    return a


@pytest.mark.parametrize("method", ["edger-exact", "edger-lrt", "edger-ql"])
def test_edger_engines_columns_and_all_zero_gene(rng: np.random.Generator, method: str) -> None:
    a = make_adata(rng)
    res = differential_expression(a, method=method)
    stat = {"edger-exact": [], "edger-lrt": ["LR"], "edger-ql": ["F"]}[method]
    assert list(res.columns[: 4 + len(stat)]) == ["logFC", "logCPM", *stat, "PValue", "FDR"]
    assert list(res.index) == list(a.var_names)
    zero = res.loc["ENSG00000000010"]
    assert zero["PValue"] == 1.0 and abs(zero["logFC"]) < 1e-6  # R keeps it: p = 1
    assert np.isfinite(res["PValue"]).all()
    assert (res.loc[res.index[:6], "logFC"] > 1).all()  # the planted up-regulation


def test_reference_flips_the_sign(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    up = differential_expression(a, method="edger-lrt")
    down = differential_expression(a, method="edger-lrt", reference="tumor")
    np.testing.assert_allclose(up["logFC"], -down["logFC"], atol=1e-8)
    np.testing.assert_allclose(up["PValue"], down["PValue"], rtol=1e-8)


def test_single_condition_is_refused(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    a.obs["condition"] = "tumor"
    with pytest.raises(OncosigInputError, match="only one condition"):
        differential_expression(a)


def test_group_with_one_sample_is_refused(rng: np.random.Generator) -> None:
    a = make_adata(rng, n_normal=1, n_tumor=6)
    with pytest.raises(OncosigInputError, match="at least 2 replicates"):
        differential_expression(a, method="edger-exact")


def test_nan_counts_are_refused(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    a.layers["counts"][2, 5] = np.nan
    with pytest.raises(OncosigInputError, match="missing or infinite"):
        differential_expression(a)


def test_non_integer_counts_are_refused(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    a.layers["counts"] = np.log1p(a.layers["counts"])
    with pytest.raises(OncosigInputError, match="not whole numbers"):
        differential_expression(a, method="edger-ql")


def test_negative_counts_are_refused(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    a.layers["counts"][0, 0] = -1
    with pytest.raises(OncosigInputError, match="negative"):
        glm_lrt(a.layers["counts"], a.obs["condition"])


def test_three_groups_and_bad_reference_are_refused(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    labels = np.array(["a", "b", "c"] * 3)
    with pytest.raises(OncosigInputError, match="3 conditions"):
        exact_test(a.layers["counts"], labels)
    with pytest.raises(OncosigInputError, match="reference level"):
        glm_ql(a.layers["counts"], a.obs["condition"], reference="control")


def test_missing_column_layer_and_method(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    with pytest.raises(OncosigInputError, match="no column 'group'"):
        differential_expression(a, groupby="group")
    with pytest.raises(OncosigInputError, match="no layer 'raw'"):
        differential_expression(a, layer="raw")
    with pytest.raises(OncosigInputError, match="unknown method"):
        differential_expression(a, method="limma")  # type: ignore[arg-type]


def test_wrong_number_of_labels(rng: np.random.Generator) -> None:
    a = make_adata(rng)
    with pytest.raises(OncosigInputError, match="one per sample"):
        exact_test(a.layers["counts"], ["normal", "tumor"])
