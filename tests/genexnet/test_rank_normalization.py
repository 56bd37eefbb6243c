"""Rank-based inverse normal inputs (``normalization="rank"``, preset ``standard-rank``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from genexnet_synth import FAST
from scipy.stats import norm

from oncosig.genexnet import GeneImageClassifier, GeneXNet, LogCPMScaler, preset
from oncosig.pp import rank_normal_scores
from oncosig.stream import logcpm_stats, write_store


def _counts(rng: np.random.Generator, n: int = 40, g: int = 30) -> np.ndarray:
    mu = rng.gamma(2.0, 100.0, size=g)
    return rng.poisson(mu * rng.uniform(0.5, 2.0, size=(n, 1))).astype(float)


def test_rank_normal_scores_by_hand() -> None:
    x = np.array([[3.0, 1.0, np.nan, 1.0, 5.0], [10.0, 20.0, 30.0, 40.0, 50.0]])
    got = rank_normal_scores(x)
    # row 0: 4 measured genes, ranks 3, 1.5, -, 1.5, 4 (ties share their average rank)
    want0 = norm.ppf((np.array([3.0, 1.5, 1.5, 4.0]) - 0.5) / 4)
    np.testing.assert_allclose(got[0, [0, 1, 3, 4]], want0, rtol=1e-12)
    assert np.isnan(got[0, 2])
    np.testing.assert_allclose(got[1], norm.ppf((np.arange(1, 6) - 0.5) / 5), rtol=1e-12)
    np.testing.assert_allclose(got[1], -got[1][::-1], atol=1e-12)  # symmetric about 0
    with pytest.raises(ValueError, match="samples x genes"):
        rank_normal_scores(np.ones(4))


def test_rank_scaler_ignores_library_size_and_composition(rng: np.random.Generator) -> None:
    counts = _counts(rng)
    sc = LogCPMScaler(method="rank").fit(counts)
    z = sc.transform(counts)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    # 10x deeper sequencing changes nothing
    np.testing.assert_allclose(sc.transform(counts * 10), z, atol=1e-6)
    # one gene taking most of a sample's counts moves only that gene, unlike log-CPM,
    # which shifts every other gene of the sample down
    odd = counts.copy()
    top = int(np.argmax(counts[0]))
    odd[0, top] *= 50
    others = np.arange(counts.shape[1]) != top
    assert np.array_equal(sc.transform(odd)[0, others], z[0, others])
    lc = LogCPMScaler().fit(counts)
    assert np.mean(lc.transform(odd)[0, others] - lc.transform(counts)[0, others]) < -1


def test_rank_scaler_state_round_trip_and_missing_genes(rng: np.random.Generator) -> None:
    counts = _counts(rng)
    sc = LogCPMScaler(method="rank").fit(counts)
    again = LogCPMScaler.from_state(sc.state_dict())
    assert again.method == "rank"
    part = counts.copy()
    part[:, 20:] = np.nan
    np.testing.assert_array_equal(again.transform(part), sc.transform(part))
    assert (sc.transform(part)[:, 20:] == 0).all() and np.isfinite(sc.transform(part)).all()
    # files written before the option existed hold no "rank" entry: log-CPM
    old = {k: v for k, v in LogCPMScaler().fit(counts).state_dict().items() if k != "rank"}
    assert LogCPMScaler.from_state(old).method == "log-cpm"
    with pytest.raises(ValueError, match="normalization must be one of"):
        LogCPMScaler(method="quantile")
    with pytest.raises(ValueError, match="no counts"):
        sc.transform(np.zeros((1, counts.shape[1])))


@pytest.mark.parametrize("with_nan", [False, True])
def test_rank_streaming_equals_in_memory(
    tmp_path: Path, rng: np.random.Generator, with_nan: bool
) -> None:
    import anndata as ad

    counts = _counts(rng, n=37, g=25)
    if with_nan:
        counts[5:9, 3:6] = np.nan
    adata = ad.AnnData(
        X=np.nan_to_num(counts).astype(np.float32),
        obs={"x": np.arange(37)},
        var={"g": np.arange(25)},
    )
    adata.obs_names = [f"s{i}" for i in range(37)]
    adata.var_names = [f"ENSG{i:011d}" for i in range(25)]
    adata.layers["counts"] = counts.astype(np.float32)
    store = write_store(adata, tmp_path / "s.h5ad", chunk_rows=4)
    ref = LogCPMScaler(method="rank").fit(counts).state_dict()
    got = logcpm_stats(store, block_rows=6, method="rank")
    for key in ("mean", "scale", "rank"):
        np.testing.assert_allclose(got[key], ref[key], rtol=1e-6, atol=1e-9, err_msg=key)
    with pytest.raises(ValueError, match="method must be"):
        logcpm_stats(counts, method="tmm")


@pytest.mark.parametrize("method", ["log-cpm", "rank"])
@pytest.mark.parametrize("missing", [False, True])
def test_streaming_and_in_memory_reject_a_sample_without_counts(
    rng: np.random.Generator, method: str, missing: bool
) -> None:
    counts = _counts(rng)
    counts[7] = 0.0  # a sample with no counts on the model's genes
    if missing:
        counts[7, :5] = np.nan  # ... and some genes not measured (log-CPM's deferred pass)
    with pytest.raises(ValueError, match="no counts on the model's genes"):
        logcpm_stats(counts, method=method, block_rows=4)
    with pytest.raises(ValueError, match="no counts on the model's genes"):
        LogCPMScaler(method=method).fit(counts)


def test_rank_estimator_fit_save_load(cohort, tmp_path: Path) -> None:
    model = GeneXNet(**{**FAST, "normalization": "rank"}).fit(cohort, label_key="project")
    assert model.scaler_.method == "rank" and model.get_params()["normalization"] == "rank"
    counts = np.asarray(cohort.layers["counts"], dtype=float)
    deeper = cohort.copy()
    deeper.layers["counts"] = counts * 7  # library size does not reach the network
    np.testing.assert_allclose(
        model.predict_proba(deeper), model.predict_proba(cohort), rtol=1e-5, atol=1e-6
    )
    loaded = GeneImageClassifier.load(model.save(tmp_path / "rank.safetensors"))
    assert loaded.normalization == "rank" and loaded.scaler_.method == "rank"
    np.testing.assert_array_equal(loaded.predict_proba(cohort), model.predict_proba(cohort))
    assert preset("standard-rank")["normalization"] == "rank"
    with pytest.raises(ValueError, match="normalization must be one of"):
        GeneXNet(normalization="ranks")
