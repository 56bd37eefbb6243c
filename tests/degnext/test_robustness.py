"""Noise curves, plots and baselines on tiny synthetic rows."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from oncosig.degnext import (
    add_gene_noise,
    edger_sign_baseline,
    fit_baselines,
    noise_curves,
    plot_noise_curves,
    plot_roc_curves,
    score_baselines,
)
from oncosig.degnext._data import GeneRows


def _rows(rng: np.random.Generator, n: int = 60) -> GeneRows:
    y = np.resize([0, 1], n)
    x = rng.normal(size=(n, 12)).astype(np.float32)
    x[:, 6:] += np.where(y == 1, 2.0, -2.0)[:, None]
    return GeneRows(x=x, y=y, cohort="TCGA-CHOL", genes=np.arange(n).astype(str))


def test_noise_scales_with_each_gene_sd(rng: np.random.Generator) -> None:
    x = np.vstack([np.zeros(2000), rng.normal(0, 3, 2000)])
    noisy = add_gene_noise(x, 100, seed=1)
    assert np.allclose(noisy[0], 0)  # a constant gene gets no noise
    assert np.isclose((noisy[1] - x[1]).std(), x[1].std(), rtol=0.1)


def test_noise_curves_and_plot(rng: np.random.Generator) -> None:
    rows = _rows(rng)

    def oracle(x: np.ndarray) -> np.ndarray:
        return (x[:, 6:].mean(1) > x[:, :6].mean(1)).astype(int)

    df = noise_curves({"oracle": oracle}, rows.x, rows.y, levels=(10, 1500))
    assert list(df["noise_pct"]) == [0, 10, 1500]
    acc = df.set_index("noise_pct")["accuracy"]
    assert acc[0] == 1.0 and acc[1500] < acc[0]
    ax = plot_noise_curves(df)
    assert ax.get_xscale() == "log" and len(ax.lines) == 1
    ax2 = plot_roc_curves({"oracle": (rows.y, rows.x[:, 6:].mean(1))})
    assert len(ax2.lines) == 2


def test_baselines_on_same_rows(rng: np.random.Generator) -> None:
    train, test = _rows(rng), _rows(rng, 20)
    models = fit_baselines(train, names=("logreg", "knn", "naive_bayes"))
    table, scores = score_baselines(models, test, n_classes=2)
    assert set(table["model"]) == {"logreg", "knn", "naive_bayes"}
    assert (table["accuracy"] > 0.9).all() and scores["logreg"].shape == (20, 2)


def test_edger_sign_baseline_uses_the_logfc_sign(synth_dir) -> None:  # type: ignore[no-untyped-def]
    from oncosig.io import read_degnext

    ad = read_degnext(synth_dir / "train", cohort="TCGA-CHOL")

    def fake_de(samples, **kw):  # type: ignore[no-untyped-def]
        assert samples.n_obs == ad.n_vars and kw["method"] == "edger-lrt"
        c = np.asarray(samples.layers["counts"], float)
        t = (samples.obs["condition"] == "tumor").to_numpy()
        lfc = np.log2(c[t].mean(0) + 1) - np.log2(c[~t].mean(0) + 1)
        return pd.DataFrame({"logFC": lfc}, index=samples.var_names)

    pred, _lfc = edger_sign_baseline(ad, splits=["T3"], de_fn=fake_de)
    y = ad[ad.obs["split"] == "T3"].obs["label"].to_numpy()
    assert pred.shape == y.shape and (pred == y).mean() > 0.9
