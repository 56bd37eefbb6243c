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

from oncosig._constants import COUNTS_LAYER, NORMAL, OBS_CONDITION
from oncosig._errors import OncosigInputError
from oncosig.degnext._scaling import fit_size_factors, group_quantiles, scale_rows

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
    normal
        Boolean mask of the normal sample columns (``None`` = unknown); used by the
        length-independent features of :mod:`oncosig.degnext._features`.
    """

    x: np.ndarray
    y: np.ndarray
    cohort: str
    genes: np.ndarray
    normal: np.ndarray | None = None

    def take(self, mask: np.ndarray) -> GeneRows:
        """The rows selected by a boolean mask or an index array (same columns)."""
        return GeneRows(
            x=self.x[mask],
            y=self.y[mask],
            cohort=self.cohort,
            genes=self.genes[mask],
            normal=self.normal,
        )


def cohort_of(adata: AnnData) -> str:
    """The cohort name stored by :func:`oncosig.io.read_degnext` (``"unknown"`` if absent)."""
    return str(adata.uns.get("cohort", "unknown"))


def counts_of(adata: AnnData) -> np.ndarray:
    """Raw counts genes x samples (``layers["counts"]``, else ``X``) as float64."""
    m = adata.layers[COUNTS_LAYER] if COUNTS_LAYER in adata.layers else adata.X
    if hasattr(m, "toarray"):
        m = m.toarray()
    return np.asarray(m, dtype=np.float64)


def samples_view(adata: AnnData) -> AnnData:
    """The cohort in oncosig's usual layout: samples x genes, ``obs["condition"]``.

    Counts go to ``layers["counts"]`` (float64) and ``X`` (float32); sample names are the
    DEGnext columns, gene names the DEGnext rows.  For DE tests and sample classifiers.
    """
    import pandas as pd

    counts = counts_of(adata).T
    out = AnnData(
        X=counts.astype(np.float32),
        obs=pd.DataFrame(
            {OBS_CONDITION: adata.var[OBS_CONDITION].astype(str).to_numpy()},
            index=adata.var_names.astype(str),
        ),
        var=pd.DataFrame(index=adata.obs_names.astype(str)),
    )
    out.layers[COUNTS_LAYER] = counts
    return out


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


CENTRING: tuple[str, ...] = ("balanced", "mean")
TRAIN_AUGMENT = 0.0
"""Share of training mini-batches cut to a random subset of their cohort's samples."""


def normal_mask(adata: AnnData) -> np.ndarray | None:
    """Boolean mask of the normal sample columns (``var["condition"]``; else ``uns["n_normal"]``).

    ``None`` when the object carries neither (rows are then centred on their mean).
    """
    if OBS_CONDITION in adata.var:
        return (adata.var[OBS_CONDITION].astype(str).str.lower() == NORMAL).to_numpy()
    n = adata.uns.get("n_normal")
    if n is None:
        return None
    mask = np.zeros(adata.n_vars, dtype=bool)
    mask[: int(n)] = True
    return mask


def make_rows(
    adata: AnnData,
    size_factors: np.ndarray,
    *,
    centring: str = "balanced",
    quantiles: int | None = None,
) -> GeneRows:
    """Scale every row of ``adata`` with the given sample size factors.

    Parameters
    ----------
    adata
        DEGnext AnnData (genes as observations, normal samples first).
    size_factors
        One factor per sample (fitted on training genes).
    centring
        ``"balanced"`` (default): each row minus the midpoint of its normal and tumour
        group means; ``"mean"``: minus the row mean (session-1 behaviour).  See
        :mod:`oncosig.degnext._scaling`.
    quantiles
        Resample each scaled row to this many quantiles of its normal and of its tumour
        samples (:func:`~oncosig.degnext._scaling.group_quantiles`); None keeps the samples.
    """
    if centring not in CENTRING:
        raise ValueError(f"centring must be one of {CENTRING}, got {centring!r}")
    normal = normal_mask(adata)
    x = scale_rows(
        counts_of(adata), size_factors, normal=normal if centring == "balanced" else None
    )
    if quantiles is not None:
        x, normal = group_quantiles(x, normal, int(quantiles))
    if OBS_LABEL in adata.obs:
        y = adata.obs[OBS_LABEL].to_numpy().astype(np.int64)
    else:
        y = np.full(adata.n_obs, -1, dtype=np.int64)
    return GeneRows(
        x=x, y=y, cohort=cohort_of(adata), genes=np.asarray(adata.obs_names), normal=normal
    )


def subsample_columns(
    x: torch.Tensor, normal: np.ndarray, rng: np.random.Generator, *, min_per_group: int = 2
) -> torch.Tensor:
    """The rows on a random subset of each group's samples, re-centred (training augmentation).

    Each group (normal, tumour) keeps ``k`` of its ``n`` samples, ``k`` drawn
    log-uniformly from ``min(min_per_group, n)..n``; the kept columns stay in order
    (normal first) and each row is re-centred on the midpoint of its new group means.
    The grid size and the share of normal samples therefore vary from batch to batch,
    so a network trained on large cohorts also sees rows as short as a small cohort's.
    """
    cols = []
    for g in (np.flatnonzero(normal), np.flatnonzero(~normal)):
        lo = min(min_per_group, g.size)
        k = round(np.exp(rng.uniform(np.log(max(lo, 1)), np.log(g.size)))) if g.size else 0
        cols.append(np.sort(rng.choice(g, size=k, replace=False)))
    keep = torch.as_tensor(np.concatenate(cols))
    xs = x[:, keep]
    k_n = cols[0].size
    if 0 < k_n < keep.numel():
        centre = 0.5 * (xs[:, :k_n].mean(dim=1) + xs[:, k_n:].mean(dim=1))
        xs = xs - centre[:, None]
    return xs


class CohortRows(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Rows of several cohorts; a global index addresses (cohort, row).

    With ``augment > 0``, each mini-batch drawn through ``__getitems__`` is, with
    probability ``augment``, cut to a random subset of its cohort's samples
    (:func:`subsample_columns`; cohorts whose rows carry a normal mask only).  The
    random draw is a function of ``seed`` and the batch's indices, so an epoch's
    batches are reproducible from the sampler's order alone (resumable training).
    """

    def __init__(
        self,
        parts: Sequence[GeneRows],
        *,
        binary: bool = False,
        augment: float = 0.0,
        seed: int = 0,
    ) -> None:
        if not parts:
            raise ValueError("no gene rows to train on")
        if not 0 <= augment <= 1:
            raise ValueError(f"augment is a probability in [0, 1], got {augment}")
        self.x = [torch.from_numpy(np.ascontiguousarray(p.x)) for p in parts]
        ys = [torch.from_numpy(p.y) for p in parts]
        self.y = [y.float() for y in ys] if binary else ys
        self.normal = [None if p.normal is None else np.asarray(p.normal, bool) for p in parts]
        sizes = [len(p.y) for p in parts]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.sizes = sizes
        self.augment = float(augment)
        self.seed = int(seed)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        c = int(np.searchsorted(self.offsets, idx, side="right") - 1)
        i = idx - int(self.offsets[c])
        return self.x[c][i], self.y[c][i]

    def __getitems__(self, indices: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        c = int(np.searchsorted(self.offsets, indices[0], side="right") - 1)
        local = torch.as_tensor(np.asarray(indices) - int(self.offsets[c]))
        x = self.x[c][local]
        mask = self.normal[c]
        if self.augment > 0 and mask is not None:
            rng = np.random.default_rng(
                [self.seed, int(indices[0]), int(indices[-1]), len(indices)]
            )
            if rng.random() < self.augment:
                x = subsample_columns(x, mask, rng)
        return x, self.y[c][local]


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
    augment: float | None = None,
) -> DataLoader[tuple[torch.Tensor, torch.Tensor]]:
    """A DataLoader of whole mini-batches (one tensor slice each, no per-row Python work).

    ``augment``: probability that a training batch is cut to a random subset of its
    cohort's samples (see :class:`CohortRows`); ``None`` = :data:`TRAIN_AUGMENT` for
    shuffled (training) loaders and 0 for the others.
    """
    if augment is None:
        augment = TRAIN_AUGMENT if shuffle else 0.0
    ds = CohortRows(parts, binary=binary, augment=augment, seed=seed)
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
    return part.take(~val), part.take(val)
