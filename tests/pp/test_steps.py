"""Fit/transform steps: training parity with the array functions, held-out use, state."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from oncosig._errors import OncosigInputError
from oncosig.pp import (
    CPM,
    TMM,
    Log2P1,
    LogCPM,
    MedianOfRatios,
    OutlierSampleFilter,
    Preprocessor,
    QuantileFilter,
    UpperQuartile,
    ZScore,
    calc_norm_factors,
    filter_genes_quantile,
    log_cpm,
    median_of_ratios,
    normalize,
    remove_outlier_samples,
)

STEPS = [CPM, TMM, UpperQuartile, MedianOfRatios, LogCPM]


def _edger_logcpm(x, eff_lib, prior=2.0):
    ps = prior * eff_lib / eff_lib.mean()
    return np.log2((x + ps[:, None]) / ((eff_lib + 2 * ps) * 1e-6)[:, None])


def test_training_transform_equals_array_functions(synth_counts, to_adata):
    a = to_adata(synth_counts)
    lib = synth_counts.sum(axis=1)
    tmm = normalize(a, method="tmm", inplace=False)
    f = calc_norm_factors(synth_counts)
    np.testing.assert_allclose(tmm, synth_counts / (lib * f)[:, None] * 1e6, rtol=1e-12)
    uq = normalize(a, method="upperquartile", inplace=False)
    fu = calc_norm_factors(synth_counts, method="upperquartile")
    np.testing.assert_allclose(uq, synth_counts / (lib * fu)[:, None] * 1e6, rtol=1e-12)
    x1 = synth_counts + 1
    mor = normalize(to_adata(x1), method="median_of_ratios", inplace=False)
    np.testing.assert_allclose(mor, x1 / median_of_ratios(x1)[:, None], rtol=1e-12)
    cpm = normalize(a, method="cpm", inplace=False)
    np.testing.assert_allclose(cpm.sum(axis=1), 1e6)
    lc = log_cpm(a, inplace=False)
    np.testing.assert_allclose(lc, _edger_logcpm(synth_counts, lib), rtol=1e-12)
    lct = log_cpm(a, norm="TMM", inplace=False)
    np.testing.assert_allclose(lct, _edger_logcpm(synth_counts, lib * f), rtol=1e-12)


@pytest.mark.parametrize("klass", STEPS)
def test_held_out_and_state_round_trip(klass, synth_counts, to_adata):
    a = to_adata(synth_counts + 1)
    train, test = a[:8].copy(), a[8:].copy()
    step = klass().fit(train)
    full = step.transform_array(a)
    # held-out samples are transformed independently of each other and of the batch
    np.testing.assert_allclose(step.transform_array(test), full[8:], rtol=1e-12)
    np.testing.assert_allclose(step.transform_array(test[:1]), full[8:9], rtol=1e-12)
    state = step.state_dict()
    assert state["kind"] == step.name
    for v in state.values():
        assert v is None or isinstance(v, np.ndarray | list | float | int | str | bool)
    again = Preprocessor.from_state(state)
    assert type(again) is klass
    np.testing.assert_allclose(again.transform_array(test), full[8:], rtol=1e-12)
    # writes into X or a layer
    step.out_layer = "norm"
    step.transform(test)
    np.testing.assert_allclose(test.layers["norm"], full[8:], rtol=1e-12)


def test_missing_genes_stay_nan(synth_counts, to_adata):
    a = to_adata(synth_counts)
    step = TMM().fit(a)
    b = a.copy()
    b.layers["counts"][:, 5] = np.nan
    out = step.transform_array(b)
    assert np.isnan(out[:, 5]).all() and np.isfinite(np.delete(out, 5, axis=1)).all()


def test_zscore_imputes_missing_with_training_mean(synth_counts, to_adata):
    a = to_adata(np.log2(synth_counts + 1))
    z = ZScore().fit(a[:8])
    out = z.transform_array(a)
    np.testing.assert_allclose(out[:8].mean(axis=0), 0, atol=1e-12)
    b = a[8:].copy()
    b.X[:, 3] = np.nan
    assert np.all(z.transform_array(b)[:, 3] == 0)
    assert np.isfinite(z.transform_array(b)).all()


def test_log2p1(synth_counts, to_adata):
    a = to_adata(synth_counts)
    Log2P1().fit_transform(a)
    np.testing.assert_allclose(a.X, np.log2(synth_counts + 1))
    with pytest.raises(OncosigInputError, match="log2"):
        Log2P1().fit_transform(_neg(a))


def _neg(a):
    b = a.copy()
    b.X = -np.abs(b.X) - 2
    return b


def test_gene_mismatch_is_reported(synth_counts, to_adata):
    a = to_adata(synth_counts)
    step = CPM().fit(a)
    with pytest.raises(OncosigInputError, match="align_genes"):
        step.transform(a[:, :50].copy())
    with pytest.raises(OncosigInputError, match="not fitted"):
        TMM().transform(a)
    with pytest.raises(OncosigInputError, match="layer"):
        CPM(layer="nope").fit(a)


def test_quantile_filter(synth_counts, to_adata):
    a = to_adata(synth_counts)
    means = synth_counts.mean(axis=0)
    expected = a.var_names[means > np.quantile(means, 0.25)]
    out = filter_genes_quantile(a, qnt_cut=0.25, inplace=False)
    assert out is not None and list(out.var_names) == list(expected)
    q = QuantileFilter(qnt_cut=0.5).fit(a[:6])
    held = q.transform(a[6:].copy(), copy=True)
    assert held is not None and list(held.var_names) == q.kept_genes_
    again = Preprocessor.from_state(q.state_dict())
    assert again.kept_genes_ == q.kept_genes_  # type: ignore[attr-defined]


def test_outlier_removal_matches_spearman_rowmeans(synth_counts, to_adata):
    x = synth_counts.copy()
    rng = np.random.default_rng(1)
    x[2] = rng.permutation(x[2])  # a sample unrelated to the others
    a = to_adata(x)
    rho = spearmanr(x, axis=1).statistic
    expected = rho.mean(axis=1)
    step = OutlierSampleFilter(cor_cut=0.6).fit(a)
    np.testing.assert_allclose(step.scores(a), expected, atol=1e-12)
    out = remove_outlier_samples(a, cor_cut=0.6, inplace=False)
    assert out is not None
    assert list(out.obs_names) == [n for n, e in zip(a.obs_names, expected, strict=True) if e > 0.6]
    assert "s2" not in out.obs_names and out.n_obs >= 10
    # held-out: mean correlation with the training samples
    train = a[[i for i in range(12) if i != 5]].copy()
    s = OutlierSampleFilter().fit(train).scores(a[5:6].copy())
    r5 = [spearmanr(x[5], x[i]).statistic for i in range(12) if i != 5]
    assert s[0] == pytest.approx(np.mean(r5), abs=1e-12)
