"""GeneXNet trained and applied on on-disk data equals the in-memory path."""

from __future__ import annotations

from pathlib import Path

import anndata
import numpy as np
import pandas as pd
import pytest
import torch
from anndata import AnnData

from oncosig.genexnet import GeneXNet
from oncosig.genexnet._lightning import GeneImageDataModule
from oncosig.stream import RowBatchDataset, loader_options, open_store, write_store

torch.set_num_threads(1)

TINY = {
    "growth_rate": 4,
    "theta_d": 0.25,
    "theta_r": 0.25,
    "depth": 1,
    "stem_stride": 1,
    "lr": 3e-3,
    "batch_size": 16,
    "max_epochs": 3,
    "patience": 3,
    "gene_order": "given",
    "accelerator": "cpu",
    "num_workers": 0,
}


def _cohort(n: int = 60, g: int = 49, seed: int = 0) -> AnnData:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    mu = rng.gamma(2.0, 50.0, size=g)
    lam = np.tile(mu, (n, 1))
    for k in range(3):
        lam[y == k, k * 8 : (k + 1) * 8] *= 5.0
    x = rng.poisson(lam).astype(np.float64)
    x[:, -2:] = 0  # undetected: filtered out
    ad = AnnData(
        X=x.astype(np.float32),
        obs=pd.DataFrame(
            {"project": [f"C{k}" for k in y], "participant": [f"P{i}" for i in range(n)]},
            index=[f"S{i:03d}" for i in range(n)],
        ),
        var=pd.DataFrame(index=[f"ENSG{i:011d}" for i in range(g)]),
    )
    ad.layers["counts"] = x
    return ad


def test_fit_on_disk_matches_in_memory(tmp_path: Path) -> None:
    ad = _cohort()
    path = tmp_path / "cohort.h5ad"
    write_store(ad, path, chunk_rows=4)
    mem = GeneXNet(**TINY).fit(ad, label_key="project")
    disk = GeneXNet(**TINY).fit(path, label_key="project")  # a path: streamed
    assert disk.genes_ == mem.genes_ and len(disk.genes_) == 47
    assert mem.scaler_ is not None and disk.scaler_ is not None
    for key, value in mem.scaler_.state_dict().items():
        np.testing.assert_allclose(disk.scaler_.state_dict()[key], value, rtol=1e-6, atol=1e-9)
    # the classes' mean profiles (review flags), streamed in blocks, equal the in-memory ones
    assert mem.centroids_ is not None and disk.centroids_ is not None
    np.testing.assert_allclose(disk.centroids_, mem.centroids_, rtol=1e-5, atol=1e-6)
    assert disk.training_["fit"]["world_size"] == 1
    assert disk.training_["n_samples"] == 60
    # inference streamed from disk (also through a backed AnnData) equals in-memory inference
    backed = anndata.read_h5ad(path, backed="r")
    p_mem = disk.predict_proba(ad)
    np.testing.assert_allclose(disk.predict_proba(path, batch_size=7), p_mem, atol=1e-5)
    np.testing.assert_allclose(disk.predict_proba(backed), p_mem, atol=1e-5)
    frame = disk.predict_frame(path)
    assert list(frame.index) == list(ad.obs_names)
    review = disk.predict_review(path)  # correlations streamed with the probabilities
    pd.testing.assert_frame_equal(review, disk.predict_review(ad), check_exact=False, atol=1e-5)
    assert set(disk.evaluate(backed, label_key="project")) >= {"accuracy", "macro_f1"}
    # a fine-tune on the on-disk cohort runs through the same streaming path
    disk.finetune(path, label_key="project", freeze_epochs=1, max_epochs=1, refit_scaler=True)
    assert "finetune" in disk.training_


def test_store_lacking_model_genes(tmp_path: Path) -> None:
    ad = _cohort()
    model = GeneXNet(**TINY).fit(ad, label_key="project")
    sub = ad[:, 5:].copy()  # the first five model genes are missing
    write_store(sub, tmp_path / "sub.h5ad")
    p_disk = model.predict_proba(tmp_path / "sub.h5ad")
    np.testing.assert_allclose(p_disk, model.predict_proba(sub), atol=1e-5)
    other = ad.copy()
    other.var_names = [f"X{i}" for i in range(ad.n_vars)]
    write_store(other, tmp_path / "other.h5ad")
    with pytest.raises(ValueError, match="share no gene"):
        model.predict_proba(tmp_path / "other.h5ad")


def test_one_data_module_for_memory_and_disk(tmp_path: Path) -> None:
    ad = _cohort(n=40, g=16)
    store = write_store(ad, tmp_path / "s.h5ad", chunk_rows=4)
    images = torch.from_numpy(np.log1p(ad.layers["counts"]).reshape(40, 1, 4, 4).astype("f4"))
    y = torch.arange(40) % 2

    def to_image(x: np.ndarray) -> np.ndarray:
        return np.log1p(x).reshape(len(x), 1, 4, 4).astype(np.float32)

    mem = GeneImageDataModule(images[:30], y[:30], images[30:], y[30:], batch_size=8, seed=1)
    disk = GeneImageDataModule(
        RowBatchDataset(
            open_store(store.path), rows=np.arange(30), labels=y[:30], transform=to_image
        ),
        None,
        RowBatchDataset(store, rows=np.arange(30, 40), labels=y[30:], transform=to_image),
        batch_size=8,
        seed=1,
        num_workers=0,
    )
    assert disk.on_disk and not mem.on_disk
    # the same samples per epoch (on disk they come in shuffled blocks of 4 rows)
    xm = torch.cat([b[0] for b in mem.train_dataloader()])
    xd = torch.cat([b[0] for b in disk.train_dataloader()])
    assert xm.shape == xd.shape == (30, 1, 4, 4)
    torch.testing.assert_close(xm.sum((1, 2, 3)).sort().values, xd.sum((1, 2, 3)).sort().values)
    ((xv, yv),) = list(disk.val_dataloader())
    assert torch.equal(yv, y[30:])
    torch.testing.assert_close(xv, images[30:])
    # defaults: no workers in memory on a small machine, >= 1 persistent worker on disk
    assert loader_options(on_disk=True)["num_workers"] >= 1
    assert loader_options(on_disk=True)["persistent_workers"] is True
    assert loader_options(on_disk=False, accelerator="cpu")["pin_memory"] is False


def test_compiled_training_keeps_plain_weights(tmp_path: Path) -> None:
    ad = _cohort(n=30, g=16)
    model = GeneXNet(**{**TINY, "max_epochs": 1, "compile_network": True})
    model.fit(ad, label_key="project")
    assert model.network is not None
    assert not any("_orig_mod" in k for k in model.network.state_dict())
    assert model.predict_proba(ad).shape == (30, 3)
    path = model.save(tmp_path / "m.safetensors")
    assert GeneXNet.load(path).get_params()["compile_network"] is True
