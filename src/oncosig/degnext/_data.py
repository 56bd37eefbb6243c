"""Scaled gene rows of one or several cohorts, batched by cohort for Lightning.

Rows of different cohorts have different lengths (sample counts).  DEGnext's global max
pool makes the network independent of the grid size, so oncosig keeps every cohort on
its own grid and draws each mini-batch from a single cohort (cohorts interleaved at
random, every gene seen once per epoch).  This keeps the published per-cohort grid
instead of resampling rows to a common length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from anndata import AnnData
from torch.utils.data import DataLoader, Dataset, Sampler

from oncosig._constants import COUNTS_LAYER
from oncosig._errors import OncosigInputError
from oncosig.degnext._scaling import fit_size_factors, scale_rows

OBS_SPLIT = "split"
OBS_LABEL = "label"


@dataclass
class GeneRows:
    """Scaled rows of one cohort.

    Attributes
    ----------
    x
        float32 genes x samples (normal columns first), scaled.
    y
        int64 labels (-1 where unknown).
    cohort
        Cohort name.
    genes
        Row names (``obs_names``).
    """

    x: np.ndarray
    y: np.ndarray
    cohort: str
    genes: np.ndarray


def cohort_of(adata: AnnData) -> str:
    """The cohort name stored by :func:`oncosig.io.read_degnext` (``"unknown"`` if absent)."""
    return str(adata.uns.get("cohort", "unknown"))


def counts_of(adata: AnnData) -> np.ndarray:
    """Raw counts genes x samples (``layers["counts"]``, else ``X``) as float64."""
    m = adata.layers[COUNTS_LAYER] if COUNTS_LAYER in adata.layers else adata.X
    if hasattr(m, "toarray"):
        m = m.toarray()
    return np.asarray(m, dtype=np.float64)


def select_splits(adata: AnnData, splits: Sequence[str] | None) -> AnnData:
    """Rows of ``adata`` in the given splits (all rows for ``None``)."""
    if splits is None:
        return adata
    if OBS_SPLIT not in adata.obs:
        raise OncosigInputError(
            "this AnnData has no obs['split']; read it with oncosig.io.read_degnext or pass splits=None"
        )
    mask = adata.obs[OBS_SPLIT].astype(str).isin(list(splits)).to_numpy()
    if not mask.any():
        present = sorted(set(adata.obs[OBS_SPLIT].astype(str)))
        raise OncosigInputError(
            f"{cohort_of(adata)}: no genes in split(s) {', '.join(splits)}; present: {', '.join(present)}"
        )
    return adata[mask]


def size_factors_for(adata: AnnData, reference_splits: Sequence[str] | None) -> np.ndarray:
    """Size factors from the rows of ``reference_splits`` (all rows if none of them exist)."""
    ref = adata
    if reference_splits is not None and OBS_SPLIT in adata.obs:
        mask = adata.obs[OBS_SPLIT].astype(str).isin(list(reference_splits)).to_numpy()
        if mask.any():
            ref = adata[mask]
    return fit_size_factors(counts_of(ref))


def make_rows(adata: AnnData, size_factors: np.ndarray) -> GeneRows:
    """Scale every row of ``adata`` with the given sample size factors."""
    x = scale_rows(counts_of(adata), size_factors)
    if OBS_LABEL in adata.obs:
        y = adata.obs[OBS_LABEL].to_numpy().astype(np.int64)
    else:
        y = np.full(adata.n_obs, -1, dtype=np.int64)
    return GeneRows(x=x, y=y, cohort=cohort_of(adata), genes=np.asarray(adata.obs_names))


class CohortRows(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Rows of several cohorts; a global index addresses (cohort, row)."""

    def __init__(self, parts: Sequence[GeneRows], *, binary: bool = False) -> None:
        if not parts:
            raise ValueError("no gene rows to train on")
        self.x = [torch.from_numpy(np.ascontiguousarray(p.x)) for p in parts]
        ys = [torch.from_numpy(p.y) for p in parts]
        self.y = [y.float() for y in ys] if binary else ys
        sizes = [len(p.y) for p in parts]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.sizes = sizes

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        c = int(np.searchsorted(self.offsets, idx, side="right") - 1)
        i = idx - int(self.offsets[c])
        return self.x[c][i], self.y[c][i]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        c = int(np.searchsorted(self.offsets, indices[0], side="right") - 1)
        local = torch.as_tensor(np.asarray(indices) - int(self.offsets[c]))
        return self.x[c][local], self.y[c][local]


class CohortBatchSampler(Sampler[list[int]]):
    """Mini-batches that never mix cohorts (rows of one cohort share a length)."""

    def __init__(
        self, sizes: Sequence[int], batch_size: int, *, shuffle: bool, seed: int = 0
    ) -> None:
        self.sizes = list(sizes)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.epoch = 0
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)])

    def __iter__(self) -> Iterator[list[int]]:
        rng = np.random.default_rng(self.seed + self.epoch)
        self.epoch += 1
        batches: list[list[int]] = []
        for c, n in enumerate(self.sizes):
            idx = np.arange(n) + int(self.offsets[c])
            if self.shuffle:
                idx = rng.permutation(idx)
            batches += [idx[i : i + self.batch_size].tolist() for i in range(0, n, self.batch_size)]
        order = rng.permutation(len(batches)) if self.shuffle else np.arange(len(batches))
        for b in order:
            yield batches[int(b)]

    def __len__(self) -> int:
        return sum(-(-n // self.batch_size) for n in self.sizes)


def _collate(batch: Any) -> Any:
    return batch


def make_loader(
    parts: Sequence[GeneRows],
    *,
    batch_size: int,
    shuffle: bool,
    binary: bool = False,
    seed: int = 0,
) -> DataLoader[tuple[torch.Tensor, torch.Tensor]]:
    """A DataLoader of whole mini-batches (one tensor slice each, no per-row Python work)."""
    ds = CohortRows(parts, binary=binary)
    sampler = CohortBatchSampler(ds.sizes, batch_size, shuffle=shuffle, seed=seed)
    return DataLoader(ds, batch_sampler=sampler, collate_fn=_collate, num_workers=0)


def split_validation(
    part: GeneRows, fraction: float, *, seed: int
) -> tuple[GeneRows, GeneRows | None]:
    """Stratified hold-out of ``fraction`` of a cohort's training rows (for early stopping)."""
    if fraction <= 0:
        return part, None
    rng = np.random.default_rng(seed)
    val = np.zeros(len(part.y), dtype=bool)
    for lab in np.unique(part.y):
        idx = np.flatnonzero(part.y == lab)
        k = round(fraction * idx.size)
        if 0 < k < idx.size:
            val[rng.choice(idx, size=k, replace=False)] = True
    if not val.any():
        return part, None

    def take(m: np.ndarray) -> GeneRows:
        return GeneRows(x=part.x[m], y=part.y[m], cohort=part.cohort, genes=part.genes[m])

    return take(~val), take(val)
