"""edgeR calcNormFactors and DESeq2 size factors: R parity and properties."""

from __future__ import annotations

import numpy as np
import pytest

from oncosig._errors import OncosigInputError
from oncosig.pp import calc_norm_factors, median_of_ratios, tmm_reference_column


@pytest.mark.parametrize("co", ["CHOL", "KICH"])
def test_tmm_matches_edger(cohort, r_ref, co):
    a = cohort(co)
    ref = r_ref(f"{co}_edgeR_TMM_normfactors")
    x = a.layers["counts"]
    np.testing.assert_array_equal(x.sum(axis=1), ref["lib.size"].to_numpy())
    f = calc_norm_factors(x)
    np.testing.assert_allclose(f, ref["norm.factors"].to_numpy(), rtol=1e-6)
    assert np.max(np.abs(f / ref["norm.factors"].to_numpy() - 1)) < 1e-12


@pytest.mark.parametrize("co", ["CHOL", "KICH"])
def test_size_factors_match_deseq2(cohort, r_ref, co):
    a = cohort(co)
    ref = r_ref(f"{co}_DESeq2_sizefactors")
    sf = median_of_ratios(a.layers["counts"])
    np.testing.assert_allclose(sf, ref["size_factor"].to_numpy(), rtol=1e-6)


def test_tmm_geometric_mean_one_and_scale_invariance(synth_counts):
    f = calc_norm_factors(synth_counts)
    assert np.exp(np.mean(np.log(f))) == pytest.approx(1.0, abs=1e-12)
    # scaling every library by the same amount leaves the factors unchanged
    np.testing.assert_allclose(calc_norm_factors(synth_counts * 3), f, rtol=1e-10)


def test_tmm_detects_composition_shift(synth_counts):
    x = synth_counts.copy()
    x[0, :30] *= 50  # a few genes take over sample 0's library
    f = calc_norm_factors(x)
    assert f[0] < 0.7 * np.median(f)


def test_identical_samples_give_ones():
    x = np.tile(np.arange(1, 51, dtype=float), (4, 1))
    np.testing.assert_allclose(calc_norm_factors(x), 1.0)
    np.testing.assert_allclose(calc_norm_factors(x, method="upperquartile"), 1.0)


def test_other_methods(synth_counts):
    uq = calc_norm_factors(synth_counts, method="upperquartile")
    nz = synth_counts[:, (synth_counts > 0).any(axis=0)]
    raw = np.quantile(nz, 0.75, axis=1) / synth_counts.sum(axis=1)
    np.testing.assert_allclose(uq, raw / np.exp(np.mean(np.log(raw))), rtol=1e-12)
    np.testing.assert_array_equal(calc_norm_factors(synth_counts, method="none"), 1.0)
    rle = calc_norm_factors(synth_counts, method="RLE")
    assert rle.shape == (12,) and np.all(rle > 0)


def test_ref_column_and_unweighted(synth_counts):
    ref = tmm_reference_column(synth_counts, synth_counts.sum(axis=1))
    f_default = calc_norm_factors(synth_counts)
    np.testing.assert_allclose(calc_norm_factors(synth_counts, ref_column=ref), f_default)
    other = (ref + 1) % synth_counts.shape[0]
    assert not np.allclose(calc_norm_factors(synth_counts, ref_column=other), f_default)
    f_unw = calc_norm_factors(synth_counts, do_weighting=False)
    assert f_unw.shape == f_default.shape and not np.allclose(f_unw, f_default)


def test_single_sample_and_zero_genes():
    np.testing.assert_array_equal(calc_norm_factors(np.array([[1.0, 2.0, 3.0]])), [1.0])
    x = np.array([[0, 5, 10, 3], [0, 6, 8, 2], [0, 4, 12, 5]], dtype=float)
    assert np.all(np.isfinite(calc_norm_factors(x)))


def test_bad_input():
    with pytest.raises(OncosigInputError, match="NaN"):
        calc_norm_factors(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(OncosigInputError, match="negative"):
        calc_norm_factors(np.array([[1.0, -1.0], [2.0, 3.0]]))
    with pytest.raises(OncosigInputError, match="method"):
        calc_norm_factors(np.ones((2, 3)), method="bogus")  # type: ignore[arg-type]
    with pytest.raises(OncosigInputError, match="lib_size"):
        calc_norm_factors(np.ones((2, 3)), lib_size=np.ones(3))
    with pytest.raises(OncosigInputError, match="at least one zero"):
        median_of_ratios(np.array([[0.0, 1.0], [1.0, 0.0]]))


def test_median_of_ratios_geo_means(synth_counts):
    x = synth_counts + 1
    sf = median_of_ratios(x)
    with np.errstate(divide="ignore"):
        gm = np.exp(np.mean(np.log(x), axis=0))
    # given geoMeans, DESeq2 re-centres to geometric mean 1
    sf2 = median_of_ratios(x, geo_means=gm)
    np.testing.assert_allclose(sf2, sf / np.exp(np.mean(np.log(sf))), rtol=1e-12)
    np.testing.assert_allclose(median_of_ratios(x, geo_means=gm, stabilize=False), sf, rtol=1e-12)
