"""Batches of rows for torch: a block-shuffling batch sampler and a whole-batch dataset.

A DataLoader built by :func:`make_loader` asks the dataset for one *batch* at a time
(``dataset[list_of_positions]``): the rows of the batch are read at once (sorted, as
contiguous runs for HDF5) and transformed as one array.  No Python loop runs per sample.
The sampler shards batches over DDP processes itself (every process gets the same number
of batches), so Lightning's ``use_distributed_sampler`` must be off for these loaders.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from oncosig.stream._store import ExpressionStore, RowSource, as_source

logger = logging.getLogger(__name__)

BatchTransform = Callable[[np.ndarray], np.ndarray | torch.Tensor]


def _world() -> tuple[int, int]:
    """``(num_replicas, rank)`` of the running torch.distributed job, else ``(1, 0)``."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size(), torch.distributed.get_rank()
    return 1, 0


class BlockBatchSampler(Sampler[list[int]]):
    """Batches of positions made of shuffled contiguous blocks, each batch sorted.

    Positions ``0..n-1`` are cut into blocks of ``block_size`` consecutive positions; each
    epoch the block order is shuffled (seed + epoch), the blocks are concatenated and cut
    into batches, and each batch is sorted so an on-disk read is a few contiguous slices.
    ``block_size=1`` is an ordinary random permutation (best for in-memory data).

    Parameters
    ----------
    n
        Number of positions (samples).
    batch_size
        Samples per batch (per process under DDP).
    block_size
        Consecutive samples kept together (on-disk: a few rows per HDF5 read).
    shuffle
        Shuffle the blocks every epoch (training); False keeps the order (inference).
    seed
        Seed of the shuffle (the epoch is added).
    drop_last
        Drop a last incomplete batch; ``"single"`` drops it only when it holds one sample
        (BatchNorm cannot train on one sample).
    num_replicas, rank
        DDP sharding; default: taken from ``torch.distributed`` when it is initialised.
    """

    def __init__(
        self,
        n: int,
        *,
        batch_size: int,
        block_size: int = 1,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool | str = "single",
        num_replicas: int | None = None,
        rank: int | None = None,
    ) -> None:
        if batch_size < 1 or block_size < 1:
            raise ValueError("batch_size and block_size must be positive")
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.block_size = int(block_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.drop_last = drop_last
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning at the start of every epoch (new shuffle)."""
        self.epoch = int(epoch)

    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(self.n)
        rng = np.random.default_rng([self.seed, self.epoch])
        n_blocks = -(-self.n // self.block_size)
        blocks = rng.permutation(n_blocks)
        order = (blocks[:, None] * self.block_size + np.arange(self.block_size)).ravel()
        return order[order < self.n]

    def _batches(self) -> list[np.ndarray]:
        order = self._order()
        batches = [
            np.sort(order[i : i + self.batch_size]) for i in range(0, order.size, self.batch_size)
        ]
        if batches and len(batches[-1]) < self.batch_size:
            last = len(batches[-1])
            single = last == 1 and self.batch_size > 1 and self.n > self.batch_size
            if self.drop_last is True or (self.drop_last == "single" and single):
                batches.pop()
        world, rank = _world()
        world = self.num_replicas or world
        rank = self.rank if self.rank is not None else rank
        if world > 1 and batches:
            # every process must run the same number of steps: wrap around to pad
            pad = (-len(batches)) % world
            batches += batches[:pad]
            batches = batches[rank::world]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        for b in self._batches():
            yield b.tolist()

    def __len__(self) -> int:
        return len(self._batches())


class RowBatchDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """A dataset whose item is a whole batch: ``ds[positions] -> (x, y)``.

    Parameters
    ----------
    source
        Rows: an :class:`ExpressionStore` (on disk), an in-memory matrix or tensor, a store
        path or an AnnData (see :func:`oncosig.stream.as_source`).
    rows
        The rows of ``source`` this dataset covers (sorted ascending is fastest); default all.
    labels
        Integer label per covered row (default: zeros).
    transform
        Vectorised batch transform ``(batch, n_vars) array -> model input`` (e.g. counts ->
        scaled gene images); None returns the rows as float32 tensors.
    """

    def __init__(
        self,
        source: Any,
        *,
        rows: np.ndarray | Sequence[int] | None = None,
        labels: np.ndarray | torch.Tensor | None = None,
        transform: BatchTransform | None = None,
    ) -> None:
        self.tensor = source if isinstance(source, torch.Tensor) else None
        self.source: RowSource | None = None if self.tensor is not None else as_source(source)
        n_total = len(source) if self.tensor is not None else self.source.n_obs  # type: ignore[union-attr]
        self.rows = (
            np.arange(n_total, dtype=np.int64)
            if rows is None
            else np.asarray(rows, dtype=np.int64).ravel()
        )
        if self.rows.size and (self.rows.min() < 0 or self.rows.max() >= n_total):
            raise IndexError(f"rows out of range for a source of {n_total} rows")
        y = torch.zeros(self.rows.size, dtype=torch.long) if labels is None else labels
        self.labels = torch.as_tensor(np.asarray(y), dtype=torch.long)
        if len(self.labels) != self.rows.size:
            raise ValueError(f"got {len(self.labels)} labels for {self.rows.size} rows")
        self.transform = transform

    @property
    def on_disk(self) -> bool:
        """True when rows are read from a file."""
        return isinstance(self.source, ExpressionStore)

    def __len__(self) -> int:
        return int(self.rows.size)

    def __getitem__(self, positions: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if np.ndim(positions) == 0:  # one sample (for a plain per-sample DataLoader)
            x1, y1 = self[[int(positions)]]
            return x1[0], y1[0]
        pos = np.asarray(positions, dtype=np.int64)
        rows = self.rows[pos]
        if self.tensor is not None:
            x: Any = self.tensor[torch.from_numpy(rows)]
        else:
            assert self.source is not None
            x = self.source.read(rows)
        if self.transform is not None:
            x = self.transform(x if not isinstance(x, torch.Tensor) else x.numpy())
        xt = x if isinstance(x, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(x))
        return xt, self.labels[torch.from_numpy(pos)]


def loader_options(*, on_disk: bool, accelerator: str = "cpu") -> dict[str, Any]:
    """DataLoader workers and pinning: sensible defaults for the data and the machine.

    In memory, batches are a tensor index away: no workers on small machines (``<= 4``
    cores), else 2.  On disk, 1 worker (2 from 8 cores on) reads and transforms the next
    batch while the model trains, kept alive between epochs.  ``pin_memory`` only on CUDA.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cores = cores or 1
    cuda = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    if on_disk:
        workers = 2 if cores >= 8 else 1
    else:
        workers = 0 if cores <= 4 else 2
    opts: dict[str, Any] = {"num_workers": workers, "pin_memory": bool(cuda)}
    if workers > 0:
        opts["persistent_workers"] = True
        opts["prefetch_factor"] = 2
    return opts


def make_loader(
    dataset: RowBatchDataset,
    *,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    block_size: int | None = None,
    drop_last: bool | str = "single",
    accelerator: str = "cpu",
    num_workers: int | None = None,
    shard: bool = True,
) -> DataLoader[Any]:
    """A DataLoader yielding whole batches from ``dataset`` (see :class:`BlockBatchSampler`).

    Parameters
    ----------
    dataset
        The rows.
    batch_size, shuffle, seed, drop_last
        As in :class:`BlockBatchSampler`.
    block_size
        Default: 4 rows on disk, 1 (plain shuffle) in memory.
    accelerator
        Pins memory for CUDA.
    num_workers
        Override :func:`loader_options`' worker count.
    shard
        Split the batches over DDP processes (training); False gives every process all
        batches (validation: every process then computes the same metrics).
    """
    if block_size is None:
        block_size = 4 if dataset.on_disk else 1
    sampler = BlockBatchSampler(
        len(dataset),
        batch_size=batch_size,
        block_size=block_size,
        shuffle=shuffle,
        seed=seed,
        drop_last=drop_last if shuffle else False,
        num_replicas=None if shard else 1,
        rank=None if shard else 0,
    )
    opts = loader_options(on_disk=dataset.on_disk, accelerator=accelerator)
    if num_workers is not None:
        opts["num_workers"] = int(num_workers)
        if num_workers == 0:
            opts.pop("persistent_workers", None)
            opts.pop("prefetch_factor", None)
        else:
            opts.setdefault("persistent_workers", True)
    # batch_size=None: the sampler's lists go to dataset[...] whole; no per-sample collate
    return DataLoader(dataset, batch_size=None, sampler=sampler, **opts)
