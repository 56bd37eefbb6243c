"""The nearest-centroid rule of ``benchmarks/genexnet_atypical.py`` flags the right samples."""

from __future__ import annotations

import numpy as np
import pytest
from bench_import import benchmark_module


def _nearest_centroid():
    return benchmark_module("genexnet_atypical").nearest_centroid


def test_flags_a_sample_that_looks_like_another_cohort() -> None:
    rng = np.random.default_rng(0)
    n_genes = 200
    profiles = rng.gamma(2.0, 50.0, size=(3, n_genes))  # three cohorts' mean profiles
    labels = np.repeat(np.array(["A", "B", "C"]), 10)
    means = profiles[np.searchsorted(["A", "B", "C"], labels)]
    means[3] = profiles[1]  # sample 3 is labelled A but expressed like B
    counts = rng.poisson(means * rng.uniform(0.5, 2.0, size=(len(labels), 1))).astype(float)
    nc = _nearest_centroid()(counts, labels)
    assert list(nc.index[nc["true"] != nc["nearest"]]) == [3]
    assert nc.loc[3, "nearest"] == "B"
    assert nc.loc[3, "r_nearest"] > nc.loc[3, "r_own"]
    # leave-one-out: every other sample is nearest to its own cohort, with a clear margin
    assert (nc.drop(index=3)["r_own"] > 0.5).all()


def test_own_probability_reads_each_samples_true_class() -> None:
    import pandas as pd

    own_probability = benchmark_module("genexnet_atypical").own_probability
    pred = pd.DataFrame(
        {
            "model": ["m1", "m1", "m2", "m2"],
            "sample": ["s1", "s2", "s1", "s2"],
            "true": ["A", "B", "A", "B"],
            "prediction": ["A", "A", "B", "B"],
            "A": [0.7, 0.6, 0.2, 0.1],
            "B": [0.3, 0.4, 0.8, 0.9],
        }
    )
    own = own_probability(pred)
    assert own.loc["m1", "s1"] == 0.7  # true A
    assert own.loc["m1", "s2"] == 0.4  # true B, although m1 predicted A
    assert own.loc["m2", "s1"] == 0.2
    assert own.loc["m2", "s2"] == 0.9


def test_call_counts_most_frequent_first() -> None:
    import pandas as pd

    call_counts = benchmark_module("genexnet_atypical").call_counts
    calls = pd.Series(["TCGA-UCS", "TCGA-ACC", "TCGA-UCS", "TCGA-KICH", "TCGA-ACC", "TCGA-UCS"])
    assert call_counts(calls) == "UCS 3, ACC 2, KICH 1"


def test_marker_levels_measure_a_low_purity_sample() -> None:
    """A sample with its cohort's markers at 2**-7 of a typical tumour scores about -7."""
    import pandas as pd

    mod = benchmark_module("genexnet_atypical")
    rng = np.random.default_rng(1)
    n_genes, n_markers = 2000, 20
    labels = np.repeat(np.array(["A", "B", "C"]), 12)
    # markers are a few % of a library, so CPM barely shifts when a sample lacks them
    means = np.tile(rng.gamma(2.0, 25.0, size=n_genes), (len(labels), 1))
    means[:, : 3 * n_markers] = 1.0
    for j, k in enumerate("ABC"):  # each cohort expresses its own 20 genes 256x higher
        means[labels == k, j * n_markers : (j + 1) * n_markers] = 256.0
    means[0, :n_markers] = 2.0  # sample 0 (cohort A) at 2**-7 of A's markers
    counts = rng.poisson(means * 1000).astype(float)
    levels = mod.marker_levels(counts, labels, n_markers=n_markers)
    assert list(levels.columns) == ["A", "B", "C"]
    assert levels.loc[0, "A"] == pytest.approx(-7.0, abs=0.2)
    assert np.abs(levels.loc[1:11, "A"]).max() < 0.3  # typical A tumours sit at 0
    assert (levels.loc[labels != "A", "A"] < -7.5).all()  # background: 256x below A
    levels.index = pd.Index([f"s{i}" for i in range(len(labels))])
    (row,) = mod.marker_lines(levels, labels, pd.Index(["s0"]))[2:]
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:2] == ["s0", "A"]
    own, typical, background = (float(c) for c in cells[2:5])
    assert own == pytest.approx(-7.0, abs=0.2)
    assert typical == pytest.approx(0.0, abs=0.3)  # sample 0 is not among the typical ones
    assert background < -7.5
    assert cells[5].startswith("B ") or cells[5].startswith("C ")
