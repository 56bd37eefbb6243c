"""On-disk store, streaming statistics and whole-batch loading."""

from __future__ import annotations

from pathlib import Path

import anndata
import numpy as np
import pandas as pd
import pytest
import torch
from anndata import AnnData

from oncosig.genexnet import LogCPMScaler, select_genes
from oncosig.stream import (
    BlockBatchSampler,
    ExpressionStore,
    RowBatchDataset,
    RunningMoments,
    StoreWriter,
    as_source,
    library_sizes,
    logcpm_stats,
    make_loader,
    open_store,
    select_genes_streaming,
    write_store,
)


def _counts(rng: np.random.Generator, n: int = 57, g: int = 40) -> np.ndarray:
    mu = rng.normal(3.0, 1.5, size=g)
    x = np.floor(np.exp(mu + rng.normal(0, 0.8, size=(n, g))))
    x[:, :3] = 0  # undetected genes
    x[::5, 3] = 0
    return x


def _adata(x: np.ndarray) -> AnnData:
    ad = AnnData(
        X=np.log1p(x).astype(np.float32),
        obs=pd.DataFrame(
            {"project": np.where(np.arange(len(x)) % 2, "A", "B")},
            index=[f"s{i}" for i in range(len(x))],
        ),
        var=pd.DataFrame(index=[f"ENSG{i:011d}" for i in range(x.shape[1])]),
    )
    ad.layers["counts"] = x.astype(np.float32)
    return ad


def test_write_store_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    x = _counts(rng)
    ad = _adata(x)
    store = write_store(ad, tmp_path / "s.h5ad", block_rows=10, chunk_rows=8)
    assert store.shape == x.shape and store.chunk_rows == 8
    np.testing.assert_array_equal(store.read_slice(0, store.n_obs), x.astype(np.float32))
    rows = np.array([40, 3, 4, 5, 3, 56])
    np.testing.assert_array_equal(store.read(rows), x[rows].astype(np.float32))
    back = anndata.read_h5ad(tmp_path / "s.h5ad", backed="r")
    assert list(back.obs_names) == list(ad.obs_names)
    assert list(back.var_names) == list(ad.var_names)
    assert list(back.obs["project"]) == list(ad.obs["project"])
    np.testing.assert_array_equal(np.asarray(back.X[5:9]), x[5:9].astype(np.float32))
    assert back.uns["value_kind"] == "counts"
    with pytest.raises(ValueError, match="overwrite"):
        write_store(ad, tmp_path / "s.h5ad")


def test_writer_streams_blocks_float16_and_checks(tmp_path: Path, rng: np.random.Generator) -> None:
    x = _counts(rng, n=30, g=12)
    genes = [f"g{i}" for i in range(12)]
    path = tmp_path / "w.h5ad"
    with StoreWriter(path, var=genes, dtype="float16", chunk_rows=4) as w:  # unknown n_obs
        for i in range(0, 30, 7):
            w.append(x[i : i + 7], obs_names=[f"c{j}" for j in range(i, min(i + 7, 30))])
    store = open_store(path)
    assert store.dtype == np.float16 and store.shape == (30, 12)
    np.testing.assert_allclose(store.read_slice(0, 30), x, rtol=1e-3)
    assert list(store.obs_names[:2]) == ["c0", "c1"]
    with pytest.raises(ValueError, match="n_obs"):
        with StoreWriter(tmp_path / "short.h5ad", var=genes, n_obs=10) as w:
            w.append(x[:5])
    assert not (tmp_path / "short.h5ad").exists()  # atomic: nothing half-written
    with pytest.raises(ValueError, match="shape"):
        with StoreWriter(tmp_path / "bad.h5ad", var=genes) as w:
            w.append(x[:, :5])


def test_running_moments_match_numpy(rng: np.random.Generator) -> None:
    x = rng.normal(5.0, 2.0, size=(101, 7))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[:, 6] = np.nan
    m = RunningMoments(7)
    for i in range(0, 101, 13):
        m.update(x[i : i + 13])
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        ref_mean, ref_var = np.nanmean(x, axis=0), np.nanvar(x, axis=0)
    np.testing.assert_allclose(m.mean[:6], ref_mean[:6], rtol=1e-12)
    np.testing.assert_allclose(m.var[:6], ref_var[:6], rtol=1e-10)
    assert np.isnan(m.var[6])


@pytest.mark.parametrize("with_nan", [False, True])
def test_streaming_scaler_equals_in_memory(
    tmp_path: Path, rng: np.random.Generator, with_nan: bool
) -> None:
    x = _counts(rng, n=83, g=50)
    if with_nan:  # genes missing in some samples (a cohort without them)
        x[10:20, 5:9] = np.nan
        x[60, 30] = np.nan
    store = write_store(_adata(x), tmp_path / "s.h5ad", chunk_rows=4)
    train = np.sort(rng.choice(83, size=61, replace=False))
    keep = select_genes(x[train], min_detected=0.1)
    ref = LogCPMScaler(prior_count=0.5).fit(x[train][:, keep]).state_dict()
    for source in (store, x, _adata(x)):
        got = logcpm_stats(source, columns=keep, prior_count=0.5, rows=train, block_rows=9)
        for key in ("share", "mean", "scale", "prior_count"):
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-6, atol=1e-9, err_msg=key)
    # the fitted state transforms like the in-memory scaler
    scaler = LogCPMScaler.from_state(got)
    np.testing.assert_allclose(
        scaler.transform(x[:, keep]),
        LogCPMScaler.from_state(ref).transform(x[:, keep]),
        atol=1e-5,
    )


def test_streaming_gene_selection_and_library_sizes(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    x = _counts(rng, n=64, g=60)
    store = write_store(_adata(x), tmp_path / "s.h5ad")
    for max_genes in (None, 20):
        ref = select_genes(x, min_detected=0.1, max_genes=max_genes)
        got = select_genes_streaming(store, min_detected=0.1, max_genes=max_genes, block_rows=7)
        np.testing.assert_array_equal(got, ref)
    np.testing.assert_allclose(library_sizes(store, block_rows=5), x.sum(axis=1), rtol=1e-6)
    with pytest.raises(ValueError, match="negative"):
        logcpm_stats(-x)


def test_block_sampler_covers_everything_and_shards() -> None:
    s = BlockBatchSampler(103, batch_size=16, block_size=4, seed=1)
    batches = list(s)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(103))
    assert all(b == sorted(b) for b in batches)
    s.set_epoch(1)
    assert list(s) != batches  # reshuffled every epoch
    # a trailing batch of one sample is dropped (BatchNorm)
    assert len(list(BlockBatchSampler(33, batch_size=16, shuffle=False))) == 2
    # DDP: equal number of batches per process, together covering all samples
    parts = [list(BlockBatchSampler(103, batch_size=16, num_replicas=2, rank=r)) for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == 4
    assert set(np.concatenate(parts[0] + parts[1]).tolist()) == set(range(103))


@pytest.mark.parametrize("workers", [0, 1])
def test_batches_equal_in_memory_batches(
    tmp_path: Path, rng: np.random.Generator, workers: int
) -> None:
    x = _counts(rng, n=50, g=16)
    store = write_store(_adata(x), tmp_path / "s.h5ad", chunk_rows=3)
    rows = np.arange(3, 47)
    labels = np.arange(rows.size) % 3

    def transform(a: np.ndarray) -> np.ndarray:
        return np.log1p(a).reshape(len(a), 1, 4, 4).astype(np.float32)

    disk = RowBatchDataset(store, rows=rows, labels=labels, transform=transform)
    mem = RowBatchDataset(x, rows=rows, labels=labels, transform=transform)
    tens = RowBatchDataset(torch.from_numpy(transform(x)), rows=rows, labels=labels)
    assert disk.on_disk and not mem.on_disk
    loaders = [
        make_loader(d, batch_size=8, shuffle=True, seed=3, block_size=4, num_workers=workers)
        for d in (disk, mem, tens)
    ]
    n_seen = 0
    for (xd, yd), (xm, ym), (xt, yt) in zip(*loaders, strict=True):
        assert xd.shape[1:] == (1, 4, 4) and xd.dtype == torch.float32
        torch.testing.assert_close(xd, xm)
        torch.testing.assert_close(xd, xt)
        assert torch.equal(yd, ym) and torch.equal(yd, yt)
        n_seen += len(yd)
    assert n_seen == rows.size


def test_as_source_backed_anndata(tmp_path: Path, rng: np.random.Generator) -> None:
    x = _counts(rng, n=20, g=10)
    ad = _adata(x)
    ad.write_h5ad(tmp_path / "plain.h5ad")  # counts in layers/counts, X = log1p
    backed = anndata.read_h5ad(tmp_path / "plain.h5ad", backed="r")
    src = as_source(backed)
    assert isinstance(src, ExpressionStore) and src.key == "layers/counts"
    np.testing.assert_array_equal(src.read([0, 5, 6]), x[[0, 5, 6]].astype(np.float32))
    mem = as_source(ad)
    np.testing.assert_array_equal(mem.read([1, 2]), x[[1, 2]].astype(np.float32))
    with pytest.raises(ValueError, match="not found"):
        ExpressionStore(tmp_path / "missing.h5ad")


def test_sparse_backed_rows(tmp_path: Path, rng: np.random.Generator) -> None:
    from scipy import sparse

    x = _counts(rng, n=25, g=10)
    ad = AnnData(X=sparse.csr_matrix(x.astype(np.float32)))
    ad.write_h5ad(tmp_path / "csr.h5ad")
    src = as_source(anndata.read_h5ad(tmp_path / "csr.h5ad", backed="r"))
    assert isinstance(src, ExpressionStore) and src.sparse
    np.testing.assert_array_equal(src.read([7, 2, 3]), x[[7, 2, 3]].astype(np.float32))
    got = logcpm_stats(src, block_rows=4)
    ref = LogCPMScaler().fit(x).state_dict()
    np.testing.assert_allclose(got["scale"], ref["scale"], rtol=1e-6)
