"""Review flags: class centroids kept by the model, correlations, flags, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from genexnet_synth import make_cohort

from oncosig._checkpoint import save_checkpoint
from oncosig.genexnet import GeneImageClassifier, GeneXNetEnsemble
from oncosig.genexnet._grid import GeneGrid
from oncosig.genexnet._persist import classifier_parts
from oncosig.genexnet._review import centroid_correlations, class_centroids, review_table


class _Store:
    """Rows read by index, as an ExpressionStore (the on-disk path of class_centroids)."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x

    def __len__(self) -> int:
        return len(self.x)

    def read(self, rows: np.ndarray) -> np.ndarray:
        return self.x[rows]


def test_class_centroids_from_images_and_from_a_store(rng: np.random.Generator) -> None:
    grid = GeneGrid.from_genes([f"g{i}" for i in range(10)], order="given")
    genes = rng.normal(size=(2500, 10))
    y = rng.integers(0, 3, size=2500)
    y[y == 2] = 0  # class 2 has no sample
    expected = np.stack([genes[y == 0].mean(0), genes[y == 1].mean(0)])
    images = torch.from_numpy(grid.to_image(genes))
    got = class_centroids(images, y, 3, grid)
    np.testing.assert_allclose(got[:2], expected, rtol=1e-5, atol=1e-6)
    assert np.isnan(got[2]).all()
    # streamed in blocks of 1,024 rows through a transform (here: rows are the genes)
    streamed = class_centroids(_Store(genes), y, 3, grid, transform=grid.to_image)
    np.testing.assert_allclose(streamed, got, rtol=1e-6, atol=1e-7, equal_nan=True)


def test_centroid_correlations_are_pearson(rng: np.random.Generator) -> None:
    x = rng.normal(size=(5, 40))
    c = rng.normal(size=(3, 40))
    r = centroid_correlations(x, c)
    full = np.corrcoef(np.vstack([x, c]))[:5, 5:]
    np.testing.assert_allclose(r, full, atol=1e-12)


def test_review_table_flags_low_probability_and_nearer_other_class() -> None:
    proba = np.array([[0.9, 0.1], [0.45, 0.55], [0.8, 0.2]])
    corr = np.array([[0.9, 0.1], [0.2, 0.7], [0.3, 0.6]])  # sample 3: nearer class b
    t = review_table(proba, corr, ["a", "b"], ["s1", "s2", "s3"])
    assert list(t.columns) == ["max_probability", "nearest_class", "review"]
    assert t["nearest_class"].tolist() == ["a", "b", "b"]
    assert t["review"].tolist() == [False, False, True]
    strict = review_table(proba, corr, ["a", "b"], ["s1", "s2", "s3"], min_probability=0.6)
    assert strict["review"].tolist() == [False, True, True]
    with pytest.raises(ValueError, match="min_probability"):
        review_table(proba, corr, ["a", "b"], ["s1", "s2", "s3"], min_probability=1.5)
    # a model without centroids: the probability alone decides
    t = review_table(proba, None, ["a", "b"], ["s1", "s2", "s3"], min_probability=0.6)
    assert t["nearest_class"].tolist() == ["", "", ""]
    assert t["review"].tolist() == [False, True, False]


def _blend(a, b, share_b: float, name: str):  # type: ignore[no-untyped-def]
    """One sample: (1 - share_b) of sample a's counts plus share_b of sample b's."""
    out = a.copy()
    out.layers["counts"] = np.round(
        (1 - share_b) * a.layers["counts"] + share_b * b.layers["counts"]
    )
    out.X = out.layers["counts"].astype(np.float32)
    out.obs_names = [name]
    return out


def test_model_keeps_centroids_and_flags_an_atypical_sample(fitted_model) -> None:  # type: ignore[no-untyped-def]
    model, train = fitted_model
    assert model.centroids_.shape == (3, len(model.genes_))
    genes = model.grid.from_image(model.prepare(train).numpy())
    labels = train.obs["project"].to_numpy()
    for k, cls in enumerate(model.classes_):
        np.testing.assert_allclose(model.centroids_[k], genes[labels == cls].mean(0), atol=1e-5)

    test = make_cohort(n_per_class=6, seed=11)
    # an A tumour with only 30 % of A left, the rest a B sample: nearer B's training samples
    odd = _blend(test[:1], test[6:7], 0.7, "odd")
    import anndata as ad

    data = ad.concat([test, odd])
    table = model.predict_review(data)
    assert list(table.columns[:4]) == ["prediction", *model.classes_]
    corr = centroid_correlations(
        model.grid.from_image(model.prepare(data).numpy()), model.centroids_
    )
    nearest = np.asarray(model.classes_)[corr.argmax(1)]
    assert table["nearest_class"].tolist() == nearest.tolist()
    assert (table.loc[test.obs_names, "nearest_class"] == test.obs["project"]).all()
    assert table.loc["odd", "nearest_class"] == "TCGA-B"
    expected = (table["max_probability"] < 0.5) | (table["nearest_class"] != table["prediction"])
    assert (table["review"] == expected).all()
    # the ensemble of the model with itself gives the same table
    pair = GeneXNetEnsemble([model, model.copy()])
    pd.testing.assert_frame_equal(
        pair.predict_review(data), table, check_exact=False, check_dtype=False, atol=1e-6
    )


def test_centroids_saved_loaded_and_refit_by_finetune(fitted_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model, train = fitted_model
    loaded = GeneImageClassifier.load(model.save(tmp_path / "m.safetensors"))
    np.testing.assert_allclose(loaded.centroids_, model.centroids_, rtol=1e-6)
    pd.testing.assert_frame_equal(loaded.predict_review(train), model.predict_review(train))
    # a file written before centroids were kept: the probability alone flags
    tensors, meta = classifier_parts(model)
    del tensors["stats.centroids"]
    old = GeneImageClassifier.load(
        save_checkpoint(tmp_path / "old.safetensors", tensors=tensors, meta=meta)
    )
    assert old.centroids_ is None
    table = old.predict_review(train)
    assert (table["nearest_class"] == "").all()
    assert (table["review"] == (table["max_probability"] < 0.5)).all()
    # a damaged centroid tensor is refused
    tensors, meta = classifier_parts(model)
    tensors["stats.centroids"] = tensors["stats.centroids"][:2]
    bad = save_checkpoint(tmp_path / "bad.safetensors", tensors=tensors, meta=meta)
    with pytest.raises(ValueError, match="centroids"):
        GeneImageClassifier.load(bad)
    # fine-tuning to new classes keeps the new classes' centroids
    target = make_cohort(n_per_class=8, classes=("normal", "tumor"), seed=3)
    ft = model.copy()
    ft.finetune(target, label_key="project", freeze_epochs=1, max_epochs=0)
    assert ft.centroids_.shape == (2, len(ft.genes_))
    t = ft.predict_review(target)
    assert (t["nearest_class"] == target.obs["project"]).all()


def test_review_summary_splits_errors_by_flag() -> None:
    from oncosig.genexnet._review import review_summary

    table = pd.DataFrame(
        {"prediction": ["a", "b", "b", "a"], "review": [False, True, False, True]},
        index=["s1", "s2", "s3", "s4"],
    )
    s = review_summary(["a", "a", "b", "b"], table)  # s2 and s4 wrong, both flagged
    assert s == {
        "n_samples": 4,
        "errors": 2,
        "flagged": 2,
        "errors_flagged": 2,
        "accuracy_unflagged": 1.0,
        "accuracy_flagged": 0.0,
    }
    none = review_summary(["a"], table.iloc[:1])
    assert none["flagged"] == 0 and np.isnan(none["accuracy_flagged"])
